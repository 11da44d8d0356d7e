/**
 * src/compress/zstd.ts (libzstd's decoder in WASM) against frames the zstd CLI
 * makes, through both entry points the readers use (the first frame into a
 * buffer, for btrfs extents; frames up to an exact size, for qcow2 clusters):
 * single and concatenated frames, with and without a content size and a
 * checksum, skippable frames, padding after a frame; and the typed errors for
 * corrupt, truncated and over-long frames.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GuestkitError } from '../../../../src/errors/index.js';
import { ZstdError, zstdDecompressExactly, zstdDecompressFirstFrameInto } from '../../../../src/compress/zstd.js';
import { pattern } from '../../../helpers/host-tools.js';

/** The zstd CLI's frame of `data` (stdin input: no content size unless --stream-size says it). */
function zstdCli(data: Uint8Array, ...args: string[]): Uint8Array {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 30 }));
}

const text = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i} of a compressible text ${(i * 2654435761) % 1e6}\n`).join(''));

/** What `fn` throws (undefined when it returns). */
function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The first frame of `frame` decoded into a buffer of `capacity` bytes: what it decoded to. */
function firstFrame(frame: Uint8Array, capacity: number): Buffer {
  const out = new Uint8Array(capacity);
  const n = zstdDecompressFirstFrameInto(out, frame, capacity);
  return Buffer.from(out.subarray(0, n));
}

describe('zstd decoding', () => {
  it('decodes frames with and without a content size or a checksum, at several levels', () => {
    for (const args of [['-1'], ['-19', '--no-check'], [`--stream-size=${text.length}`, '-3'], ['-12', '--no-check'], ['--no-content-size']]) {
      const frame = zstdCli(text, ...args);
      expect(firstFrame(frame, text.length)).toEqual(text);
      expect(firstFrame(frame, text.length + 4096)).toEqual(text);
      expect(Buffer.from(zstdDecompressExactly(frame, text.length))).toEqual(text);
    }
  });

  it('decodes incompressible data (raw blocks) and empty frames', () => {
    const rnd = randomBytes(300_000);
    expect(firstFrame(zstdCli(rnd), rnd.length)).toEqual(rnd);
    expect(Buffer.from(zstdDecompressExactly(zstdCli(rnd), rnd.length))).toEqual(rnd);
    expect(firstFrame(zstdCli(new Uint8Array(0)), 100).length).toBe(0);
  });

  it('decodes concatenated frames and skips skippable frames', () => {
    const a = zstdCli(text.subarray(0, 1000)), b = zstdCli(text.subarray(1000, 5000), '--no-content-size');
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const joined = Buffer.concat([a, skippable, b]);
    expect(Buffer.from(zstdDecompressExactly(joined, 5000))).toEqual(text.subarray(0, 5000));
    expect(firstFrame(joined, 1000)).toEqual(text.subarray(0, 1000));
  });

  it('decodes a frame followed by padding without reading the padding (a btrfs extent, a qcow2 cluster)', () => {
    const data = Buffer.from(pattern(65536, 7));
    const frame = zstdCli(data);
    const padded = Buffer.concat([frame, Buffer.alloc(4096 - (frame.length % 4096), 0xee)]);
    const out = new Uint8Array(65536);
    expect(zstdDecompressFirstFrameInto(out, padded, 65536 + 4096)).toBe(65536);
    expect(Buffer.from(out)).toEqual(data);
    expect(Buffer.from(zstdDecompressExactly(padded, 65536))).toEqual(data);
    // a cluster made of two frames, as qemu allows
    const two = Buffer.concat([zstdCli(data.subarray(0, 10000)), zstdCli(data.subarray(10000)), Buffer.alloc(300, 0x55)]);
    expect(Buffer.from(zstdDecompressExactly(two, 65536))).toEqual(data);
    expect(() => zstdDecompressExactly(padded, 70000)).toThrow(ZstdError);
    expect(() => zstdDecompressExactly(padded, 60000)).toThrow(/more than 60000 bytes/);
  });

  it('refuses a frame that decodes to more than the caller allows', () => {
    for (const frame of [zstdCli(text, '--no-content-size'), zstdCli(text)]) {
      expect(() => firstFrame(frame, 1000)).toThrow(/decodes to more than 1000 bytes/);
      expect(() => zstdDecompressExactly(frame, 1000)).toThrow(/more than 1000 bytes/);
    }
  });

  it('gives a typed error (ZstdError, EBADMSG) for corrupt, truncated and foreign data', () => {
    const frame = zstdCli(text, '-3');
    const corrupt = frame.slice();
    for (let i = 40; i < corrupt.length; i += 97) corrupt[i] ^= 0x5a;
    const cases = [corrupt, frame.subarray(0, frame.length >> 1), randomBytes(1000), new Uint8Array(0), new Uint8Array([0x28, 0xb5, 0x2f])];
    for (const decode of [(bad: Uint8Array) => firstFrame(bad, text.length), (bad: Uint8Array) => Buffer.from(zstdDecompressExactly(bad, text.length))]) {
      for (const bad of cases) {
        const err = errorOf(() => decode(bad));
        expect(err).toBeInstanceOf(ZstdError);
        expect(err).toBeInstanceOf(GuestkitError);
        expect((err as ZstdError).code).toBe('EBADMSG');
        expect((err as Error).message).toMatch(/^zstd: /);
      }
      // and the decoder still works afterwards
      expect(decode(frame)).toEqual(text);
    }
  });

  it('a checksum mismatch is an error', () => {
    const frame = zstdCli(text, '-3');
    const bad = frame.slice();
    bad[bad.length - 1] ^= 0xff; // the last byte belongs to the 4-byte checksum
    expect(() => firstFrame(bad, text.length)).toThrow(/checksum/i);
    expect(() => zstdDecompressExactly(bad, text.length)).toThrow(/checksum/i);
  });
});
