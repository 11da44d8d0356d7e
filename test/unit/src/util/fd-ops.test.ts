/**
 * The fd-ops helper program: fallocate and SO_SNDBUF on a descriptor of
 * guestkit's, checked by their effects (blocks allocated, bytes a socket takes
 * before it pushes back) and by the errno of a misuse.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileDataMap, preallocate, setSendBuffer, socketFd } from '../../../../src/util/fd-ops.js';
import { helperProgramsRun } from '../../../../src/util/helper-program.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-fd-ops-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const EBADF = 9;
const ENOTSOCK = 88;

/** A connected pair of unix sockets, the server's end first. */
async function socketPair(): Promise<{ server: net.Socket; client: net.Socket; close: () => void }> {
  const file = path.join(dir, `s${Math.random().toString(16).slice(2)}.sock`);
  const srv = net.createServer();
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  await new Promise<void>((r) => srv.listen(file, r));
  const client = net.connect(file);
  await new Promise<void>((r) => client.once('connect', () => r()));
  const server = await accepted;
  return { server, client, close: () => (server.destroy(), client.destroy(), srv.close()) };
}

/** Bytes the kernel takes from one 16 MiB write(2) on the (non-blocking) socket behind `fd` while nobody reads the other end. */
function bytesTaken(fd: number): number {
  return fs.writeSync(fd, Buffer.alloc(16 * 1024 * 1024));
}

describe.runIf(helperProgramsRun())('fd-ops helper', () => {
  it('preallocate allocates the blocks of the range and extends the file', async () => {
    const file = path.join(dir, 'pre.bin');
    const fd = fs.openSync(file, 'wx+');
    try {
      expect(await preallocate(fd, 65536, 8 * 1024 * 1024)).toBe(0);
      const st = fs.fstatSync(fd);
      expect(st.size).toBe(65536 + 8 * 1024 * 1024);
      expect(st.blocks * 512).toBeGreaterThanOrEqual(8 * 1024 * 1024);
      // The allocated range reads as zeroes.
      const b = Buffer.alloc(4096, 1);
      fs.readSync(fd, b, 0, b.length, 1024 * 1024);
      expect(b.every((x) => x === 0)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('fileDataMap lists a sparse file\'s data ranges (SEEK_DATA/SEEK_HOLE), in order, clipped to the size', async () => {
    const file = path.join(dir, 'sparse.bin');
    const MiB = 1024 * 1024;
    // 600 data ranges: more than one 4 KiB page of 16-byte records from the helper.
    const fd = fs.openSync(file, 'w+');
    try {
      const block = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 600; i++) fs.writeSync(fd, block, 0, block.length, i * MiB);
      fs.ftruncateSync(fd, 700 * MiB);
      const map = await fileDataMap(fd, 700 * MiB);
      expect(map).toHaveLength(600);
      map!.forEach(([start, end], i) => {
        expect(start).toBe(i * MiB);
        expect(end).toBe(i * MiB + 64 * 1024);
      });
      // Clipped: a size that ends inside the last range.
      const clipped = await fileDataMap(fd, 599 * MiB + 1000);
      expect(clipped![clipped!.length - 1]).toEqual([599 * MiB, 599 * MiB + 1000]);
      // A file that is all hole has no ranges.
      fs.ftruncateSync(fd, 0);
      fs.ftruncateSync(fd, 10 * MiB);
      expect(await fileDataMap(fd, 10 * MiB)).toEqual([]);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('reports the errno of a call that fails', async () => {
    const fd = fs.openSync(path.join(dir, 'ro.bin'), 'w+');
    const ro = fs.openSync(path.join(dir, 'ro.bin'), 'r');
    try {
      expect(await preallocate(ro, 0, 4096)).toBe(EBADF);
      expect(await setSendBuffer(fd, 1 << 20)).toBe(ENOTSOCK);
    } finally {
      fs.closeSync(fd);
      fs.closeSync(ro);
    }
  });

  it('setSendBuffer lets a unix socket take more before it pushes back', async () => {
    const plain = await socketPair();
    const wide = await socketPair();
    try {
      const fd = socketFd(wide.server);
      expect(fd).toBeTypeOf('number');
      expect(await setSendBuffer(fd!, 2 * 1024 * 1024)).toBe(0);
      const before = bytesTaken(socketFd(plain.server)!);
      const after = bytesTaken(fd!);
      // The default (net.core.wmem_default, 208 KiB here) against 2 MiB, doubled by the kernel, where wmem_max allows it.
      const max = Number(fs.readFileSync('/proc/sys/net/core/wmem_max', 'utf8'));
      const def = Number(fs.readFileSync('/proc/sys/net/core/wmem_default', 'utf8'));
      if (max > def) expect(after).toBeGreaterThan(before * 1.5);
      else expect(after).toBeGreaterThanOrEqual(before * 0.9);
    } finally {
      plain.close();
      wide.close();
    }
  });
});
