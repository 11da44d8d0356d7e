/**
 * zstd decoding for every reader that meets it (btrfs extents, qcow2 clusters):
 * one place so that the decoder behind it can change without touching them.
 */
import { decompress } from 'fzstd';

/**
 * Decode one or more zstd frames in `input`. `outputSize`, when known, bounds
 * the result (a frame that decodes to more is an error, never a larger buffer).
 */
export function zstdDecompress(input: Uint8Array, outputSize?: number): Uint8Array {
  const out = outputSize === undefined ? undefined : new Uint8Array(outputSize);
  return decompress(input, out);
}
