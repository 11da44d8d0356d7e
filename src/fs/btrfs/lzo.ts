/**
 * LZO1X decompression (the format of lzo1x_1 compressors), bounds-checked on
 * both sides: every instruction consumes input, so a corrupt stream ends in an
 * error, never a loop. Returns the number of bytes written to `dst`.
 */
import { corrupt } from './superblock.js';

const M2_MAX_OFFSET = 0x0800;

export function lzo1xDecompress(src: Uint8Array, dst: Uint8Array, what: string): number {
  let ip = 0, op = 0, state = 0, t = 0, next = 0, mPos = 0;
  const bad = (why: string) => corrupt(`${what}: LZO data ${why}`);
  const byte = (): number => {
    if (ip >= src.length) throw bad('ends early');
    return src[ip++]!;
  };
  const le16 = (): number => byte() | (byte() << 8);
  /** The extra length bytes after a zero length field: runs of 0 add 255 each. */
  const longLength = (base: number): number => {
    let n = 0;
    while (byte() === 0) n += 255;
    return n + base + src[ip - 1]!;
  };
  const literals = (n: number) => {
    if (ip + n > src.length) throw bad('ends inside a literal run');
    if (op + n > dst.length) throw bad('decodes to more than its extent holds');
    dst.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const match = (from: number, n: number) => {
    if (from < 0) throw bad('refers before the start of its output');
    if (op + n > dst.length) throw bad('decodes to more than its extent holds');
    for (let i = 0; i < n; i++) dst[op++] = dst[from + i]!;
  };

  let first = true;
  for (;;) {
    if (first && src.length && src[0]! > 17) {
      first = false;
      t = byte() - 17;
      if (t < 4) {
        next = t;
        state = next;
        literals(next);
        continue;
      }
      literals(t);
      state = 4;
      continue;
    }
    first = false;
    t = byte();
    if (t < 16) {
      if (state === 0) {
        // a literal run
        const n = t === 0 ? longLength(15) + 3 : t + 3;
        literals(n);
        state = 4;
        continue;
      }
      next = t & 3;
      if (state !== 4) {
        // a 2-byte match close behind
        mPos = op - 1 - (t >> 2) - (byte() << 2);
        match(mPos, 2);
      } else {
        mPos = op - (1 + M2_MAX_OFFSET) - (t >> 2) - (byte() << 2);
        match(mPos, 3);
      }
    } else if (t >= 64) {
      next = t & 3;
      mPos = op - 1 - ((t >> 2) & 7) - (byte() << 3);
      match(mPos, (t >> 5) + 1);
    } else if (t >= 32) {
      let n = t & 31;
      n = n === 0 ? longLength(31) + 2 : n + 2;
      const d = le16();
      next = d & 3;
      match(op - 1 - (d >> 2), n);
    } else {
      let n = t & 7;
      n = n === 0 ? longLength(7) + 2 : n + 2;
      const d = le16();
      next = d & 3;
      mPos = op - ((t & 8) << 11) - (d >> 2);
      if (mPos === op) return op; // the end-of-stream marker
      match(mPos - 0x4000, n);
    }
    state = next;
    literals(next);
  }
}
