/**
 * Decoding one compressed qcow2 cluster, as qemu does: zlib clusters are a raw
 * deflate stream, zstd clusters one or more zstd frames; either is followed by
 * whatever fills the rest of its last sector, which is never decoded. The
 * result is exactly one cluster or an ImageError naming the cluster.
 */
import { zstdDecompressExactly } from '../../compress/zstd.js';
import { ImageError } from '../../errors/index.js';
import { nodeZlib } from '../../util/lazy-builtins.js';
import type { CompressionType } from './qcow2-header.js';

export function decompressCluster(name: string, compression: CompressionType, stored: Uint8Array, clusterSize: number, host: number): Uint8Array {
  let data: Uint8Array;
  try {
    data = compression === 'zstd'
      ? zstdDecompressExactly(stored, clusterSize)
      : nodeZlib().inflateRawSync(stored, { finishFlush: nodeZlib().constants.Z_SYNC_FLUSH, maxOutputLength: clusterSize });
  } catch (e) {
    const verb = compression === 'zstd' ? 'decode' : 'inflate';
    throw new ImageError(name, `qcow2 image is corrupt: the compressed cluster at offset ${host} does not ${verb} (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
  if (data.length !== clusterSize) {
    throw new ImageError(name, `qcow2 image is corrupt: the compressed cluster at offset ${host} inflates to ${data.length} bytes, not ${clusterSize}`);
  }
  return data;
}
