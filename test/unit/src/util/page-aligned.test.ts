/**
 * pageAlignedBuffers: separate buffers of the size asked for, whose memory starts on
 * a page (checked the only way JavaScript can: an O_DIRECT read, which the kernel
 * refuses into a buffer that is not aligned to the device's blocks).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pageAlignedBuffers } from '../../../../src/util/page-aligned.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gk-aligned-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads the first 4 KiB of `file` with O_DIRECT into `into`: the errno code, or 'ok'. */
function directRead(file: string, into: Uint8Array): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
  } catch (e) {
    return `open: ${(e as NodeJS.ErrnoException).code}`;
  }
  try {
    fs.readSync(fd, into, 0, 4096, 0);
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  } finally {
    fs.closeSync(fd);
  }
}

describe('pageAlignedBuffers', () => {
  it('gives separate buffers of the size asked for', () => {
    const bufs = pageAlignedBuffers(3, 10_000);
    expect(bufs.map((b) => b.length)).toEqual([10_000, 10_000, 10_000]);
    bufs.forEach((b, i) => b.fill(i + 1));
    bufs.forEach((b, i) => expect(b.every((x) => x === i + 1)).toBe(true));
    expect(bufs.every((b) => b.byteOffset % 4096 === 0)).toBe(true);
  });

  it('whose memory is aligned: an O_DIRECT read into each succeeds where one into a misaligned buffer fails', (ctx) => {
    const file = path.join(dir, 'blocks');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const misaligned = new Uint8Array(new ArrayBuffer(8192 + 16), 16, 8192);
    const control = directRead(file, misaligned);
    // tmpfs and some others take O_DIRECT without checking alignment, or refuse it: nothing to learn there.
    if (control !== 'EINVAL') ctx.skip();
    for (const b of pageAlignedBuffers(4, 64 * 1024)) {
      expect(directRead(file, b)).toBe('ok');
      expect(b[0]).toBe(0x5a);
    }
  });

  it('falls back to plain buffers past what it reserves at once', () => {
    const bufs = pageAlignedBuffers(2, 600 * 1024 * 1024);
    expect(bufs.map((b) => b.length)).toEqual([600 * 1024 * 1024, 600 * 1024 * 1024]);
    expect(bufs[0]!.buffer === bufs[1]!.buffer).toBe(false);
  });
});
