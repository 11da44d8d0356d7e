/**
 * The NBD client against real servers: qemu-nbd and nbdkit (nothing mocked
 * for the protocol). Every server is started here and killed in afterAll.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrnoError, NbdError } from '../../../../../src/errors/index.js';
import { NbdDevice } from '../../../../../src/block/nbd/client.js';

const MiB = 1024 * 1024;
let dir: string;
const servers: ChildProcess[] = [];

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function pattern(n: number, _seed = 1): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

function allZero(a: Uint8Array): boolean {
  return same(a, new Uint8Array(a.length));
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function canConnect(where: { path: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(where as net.NetConnectOpts);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts a server and waits until it accepts connections (qemu-nbd must be --persistent for the probe). */
async function startServer(cmd: string, args: string[], where: { path: string } | { host: string; port: number }): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  servers.push(child);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited: ${err}`);
    if (('path' in where ? fs.existsSync(where.path) : true) && (await canConnect(where))) return child;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${cmd} did not start: ${err}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

const unixUri = (sock: string, exp = '') => `nbd+unix:///${exp}?socket=${sock}`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-nbd-test-'));
});
afterAll(async () => {
  await Promise.all(servers.map(stop));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('against qemu-nbd', () => {
  let rawFile: string;
  let rawData: Uint8Array;
  let qcowFile: string;
  let qcowSock: string;
  let rawPort: number;

  beforeAll(async () => {
    rawData = pattern(80 * MiB, 21);
    rawFile = path.join(dir, 'disk.raw');
    fs.writeFileSync(rawFile, rawData);
    qcowFile = path.join(dir, 'sparse.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcowFile, '64M']);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 1M 2M', '-c', 'write -P 0xcd 10M 64k', qcowFile], { stdio: 'ignore' });
    qcowSock = path.join(dir, 'qcow.sock');
    rawPort = await freePort();
    await Promise.all([
      startServer('qemu-nbd', ['-t', '-e', '4', '-f', 'qcow2', '--discard=unmap', '-k', qcowSock, qcowFile], { path: qcowSock }),
      startServer('qemu-nbd', ['-t', '-e', '4', '-f', 'raw', '-b', '127.0.0.1', '-p', String(rawPort), '-x', 'disk', rawFile], {
        host: '127.0.0.1',
        port: rawPort,
      }),
    ]);
  }, 30_000);

  it('qcow2 over a unix socket: handshake, reads, block status with holes', async () => {
    const d = await NbdDevice.connect(unixUri(qcowSock));
    try {
      expect(d.size).toBe(64 * MiB);
      expect(d.readOnly).toBe(false);
      expect(d.info.structuredReplies).toBe(true);
      expect(d.hasBlockStatus).toBe(true);
      expect(d.canFlush && d.canTrim && d.canWriteZeroes).toBe(true);
      expect(d.info.maxBlockSize).toBe(32 * MiB);
      const b = await d.read(MiB - 2, 4);
      expect([...b]).toEqual([0, 0, 0xab, 0xab]);
      const ext = await d.extents(0, d.size);
      expect(ext).toEqual([
        { offset: 0, length: MiB, hole: true, zero: true },
        { offset: MiB, length: 2 * MiB, hole: false, zero: false },
        { offset: 3 * MiB, length: 7 * MiB, hole: true, zero: true },
        { offset: 10 * MiB, length: 65536, hole: false, zero: false },
        { offset: 10 * MiB + 65536, length: 54 * MiB - 65536, hole: true, zero: true },
      ]);
      // a window inside one extent is clipped to the request
      expect(await d.extents(MiB + 5, 10)).toEqual([{ offset: MiB + 5, length: 10, hole: false, zero: false }]);
    } finally {
      await d.close();
    }
  });

  it('qcow2: write, flush, zero, trim', async () => {
    const d = await NbdDevice.connect(unixUri(qcowSock));
    try {
      const data = pattern(300_000, 4);
      await d.write(20 * MiB + 7, data);
      await d.flush();
      expect(same(await d.read(20 * MiB + 7, data.length), data)).toBe(true);
      await d.zero(MiB, 65536); // NO_HOLE: stays allocated, reads zero
      expect(allZero(await d.read(MiB, 65536))).toBe(true);
      expect((await d.read(MiB + 65536, 1))[0]).toBe(0xab);
      await d.zero(2 * MiB, MiB, true); // may deallocate
      const ext = await d.extents(2 * MiB, MiB);
      expect(ext.every((e) => e.zero)).toBe(true);
      await d.trim(10 * MiB, 65536);
      await d.flush();
    } finally {
      await d.close();
    }
    const map = JSON.parse(execFileSync('qemu-img', ['map', '-U', '--output=json', '-f', 'qcow2', qcowFile], { encoding: 'utf8' }));
    expect(map.some((e: { start: number; data: boolean }) => e.start <= 20 * MiB && e.data)).toBe(true);
  });

  it('raw over TCP with an export name; large reads are split at the max block size', async () => {
    const uri = `nbd://127.0.0.1:${rawPort}/disk`;
    const d = await NbdDevice.connect(uri);
    try {
      expect(d.name).toBe(uri);
      expect(d.size).toBe(rawData.length);
      const big = await d.read(MiB + 1, 64 * MiB + 3); // 3 requests of <= 32 MiB
      expect(same(big, rawData.subarray(MiB + 1, 65 * MiB + 4))).toBe(true);
      await d.write(5, new Uint8Array([1, 2, 3]));
      rawData.set([1, 2, 3], 5);
      await d.flush();
      const fd = fs.openSync(rawFile, 'r');
      const b = Buffer.alloc(5);
      fs.readSync(fd, b, 0, 5, 4);
      fs.closeSync(fd);
      expect([...b]).toEqual([rawData[4], 1, 2, 3, rawData[8]]);
    } finally {
      await d.close();
    }
  });

  it('pipelines many requests', async () => {
    const d = await NbdDevice.connect(`nbd://127.0.0.1:${rawPort}/disk`);
    try {
      const offsets = Array.from({ length: 300 }, (_, i) => (i * 7919 * 4099) % (rawData.length - 65536));
      const reads = offsets.map((o, i) => d.read(o, 512 + (i % 17) * 1000));
      expect(d.inFlight).toBe(300);
      const results = await Promise.all(reads);
      results.forEach((r, i) => expect(same(r, rawData.subarray(offsets[i]!, offsets[i]! + r.length))).toBe(true));
      expect(d.inFlight).toBe(0);
    } finally {
      await d.close();
    }
  });

  it('unknown export names are refused clearly', async () => {
    const uri = `nbd://127.0.0.1:${rawPort}/nope`;
    const err = await NbdDevice.connect(uri).catch((e) => e);
    expect(err).toBeInstanceOf(NbdError);
    expect(err.message).toMatch(new RegExp(`^nbd://127\\.0\\.0\\.1:${rawPort}/nope: export 'nope': unknown export`));
    expect(err.message).not.toContain('\n');
  });

  it('read-only servers and read-only connections refuse writes', async () => {
    const sock = path.join(dir, 'ro.sock');
    const copy = path.join(dir, 'ro.qcow2'); // the writable server holds a lock on qcowFile
    fs.copyFileSync(qcowFile, copy);
    await startServer('qemu-nbd', ['-t', '-e', '4', '-r', '-f', 'qcow2', '-k', sock, copy], { path: sock });
    const d = await NbdDevice.connect(unixUri(sock));
    expect(d.readOnly).toBe(true);
    await expect(d.write(0, new Uint8Array(1))).rejects.toThrow(/: write: the disk is read-only/);
    await d.close();
    const d2 = await NbdDevice.connect(unixUri(qcowSock), { readOnly: true });
    expect(d2.readOnly).toBe(true);
    await expect(d2.zero(0, 512)).rejects.toBeInstanceOf(ErrnoError);
    await d2.close();
  });
});

describe('against nbdkit', () => {
  it('memory 1G: writes, reads, zero, trim, extents', async () => {
    const sock = path.join(dir, 'mem.sock');
    const srv = await startServer('nbdkit', ['-f', '--exit-with-parent', '-U', sock, 'memory', '1G'], { path: sock });
    const d = await NbdDevice.connect(unixUri(sock));
    try {
      expect(d.size).toBe(1024 * MiB);
      expect(d.info.structuredReplies).toBe(true);
      const data = pattern(5 * MiB, 8);
      await Promise.all([d.write(0, data), d.write(700 * MiB + 3, data), d.write(1024 * MiB - 100, data.subarray(0, 100))]);
      expect(same(await d.read(700 * MiB + 3, data.length), data)).toBe(true);
      expect(same(await d.read(1024 * MiB - 100, 100), data.subarray(0, 100))).toBe(true);
      await d.zero(MiB, MiB);
      const z = await d.read(0, 3 * MiB);
      expect(same(z.subarray(0, MiB), data.subarray(0, MiB))).toBe(true);
      expect(allZero(z.subarray(MiB, 2 * MiB))).toBe(true);
      await d.trim(2 * MiB, MiB);
      await d.flush();
      const ext = await d.extents(0, d.size);
      expect(ext.reduce((a, e) => a + e.length, 0)).toBe(d.size);
      expect(ext[0]).toEqual({ offset: 0, length: MiB, hole: false, zero: false });
      expect(ext.find((e) => e.offset <= 500 * MiB && e.offset + e.length > 500 * MiB)!.hole).toBe(true);
      await expect(d.read(1024 * MiB - 1, 2)).rejects.toThrow(/beyond the end of the disk/);
    } finally {
      await d.close();
      await stop(srv);
    }
  });

  it('large reads (split) over structured replies, holes included', async () => {
    const sock = path.join(dir, 'pattern.sock');
    const srv = await startServer('nbdkit', ['-f', '--exit-with-parent', '-U', sock, 'pattern', '1G'], { path: sock });
    const d = await NbdDevice.connect(unixUri(sock));
    try {
      const off = 100 * MiB + 8;
      const b = await d.read(off, 40 * MiB); // nbdkit caps requests at 32 MiB: split in two
      const v = new DataView(b.buffer, b.byteOffset, b.length);
      let bad = 0;
      for (let i = 0; i < b.length; i += 8) {
        const want = off + i;
        if (v.getUint32(i) !== Math.floor(want / 2 ** 32) || v.getUint32(i + 4) !== want % 2 ** 32) bad++;
      }
      expect(bad).toBe(0);
    } finally {
      await d.close();
      await stop(srv);
    }
    // memory plugin: a read spanning data and holes comes back as OFFSET_DATA + OFFSET_HOLE chunks
    const sock2 = path.join(dir, 'mem2.sock');
    const srv2 = await startServer('nbdkit', ['-f', '--exit-with-parent', '-U', sock2, 'memory', '1G'], { path: sock2 });
    const d2 = await NbdDevice.connect(unixUri(sock2));
    try {
      const data = pattern(MiB, 3);
      await d2.write(20 * MiB, data);
      const buf = new Uint8Array(40 * MiB).fill(0x55); // stale bytes must be overwritten by holes
      await d2.readInto(0, buf);
      expect(allZero(buf.subarray(0, 20 * MiB))).toBe(true);
      expect(same(buf.subarray(20 * MiB, 21 * MiB), data)).toBe(true);
      expect(allZero(buf.subarray(21 * MiB))).toBe(true);
    } finally {
      await d2.close();
      await stop(srv2);
    }
  }, 20_000);

  it('nbdkit -r file: read-only export', async () => {
    const file = path.join(dir, 'ro.img');
    const data = pattern(MiB, 17);
    fs.writeFileSync(file, data);
    const sock = path.join(dir, 'rofile.sock');
    const srv = await startServer('nbdkit', ['-f', '--exit-with-parent', '-r', '-U', sock, 'file', file], { path: sock });
    const d = await NbdDevice.connect(unixUri(sock));
    try {
      expect(d.readOnly).toBe(true);
      expect(same(await d.read(0, d.size), data)).toBe(true);
      await expect(d.write(0, new Uint8Array(1))).rejects.toThrow(/read-only/);
      await d.flush(); // no-op when read-only
    } finally {
      await d.close();
      await stop(srv);
    }
  });

  it('simple replies (--no-sr) and the old NBD_OPT_EXPORT_NAME path (--mask-handshake=0)', async () => {
    const sock = path.join(dir, 'nosr.sock');
    const srv = await startServer('nbdkit', ['-f', '--exit-with-parent', '--no-sr', '-U', sock, 'memory', '64M'], { path: sock });
    const d = await NbdDevice.connect(unixUri(sock));
    try {
      expect(d.info.structuredReplies).toBe(false);
      expect(d.hasBlockStatus).toBe(false);
      const data = pattern(33 * MiB, 2); // split in two writes
      await d.write(MiB, data);
      expect(same(await d.read(MiB, data.length), data)).toBe(true);
      expect(await d.extents(0, 4096)).toEqual([{ offset: 0, length: 4096, hole: false, zero: false }]);
    } finally {
      await d.close();
      await stop(srv);
    }
    const sock2 = path.join(dir, 'oldopt.sock');
    const srv2 = await startServer('nbdkit', ['-f', '--exit-with-parent', '--mask-handshake=0', '-U', sock2, 'pattern', '1M'], { path: sock2 });
    const d2 = await NbdDevice.connect(unixUri(sock2));
    try {
      expect(d2.info.usedExportName).toBe(true);
      expect(d2.size).toBe(MiB);
      const b = await d2.read(8, 8);
      expect(new DataView(b.buffer).getBigUint64(0)).toBe(8n);
    } finally {
      await d2.close();
      await stop(srv2);
    }
  });

  it('server errors map to errno names', async () => {
    const sock = path.join(dir, 'err.sock');
    const srv = await startServer(
      'nbdkit',
      ['-f', '--exit-with-parent', '-U', sock, '--filter=error', 'memory', '1M', 'error-pwrite=ENOSPC', 'error-pwrite-rate=100%', 'error-pread=EPERM', 'error-pread-rate=100%'],
      { path: sock },
    );
    const d = await NbdDevice.connect(unixUri(sock));
    try {
      const w = await d.write(0, new Uint8Array(10)).catch((e) => e);
      expect(w).toBeInstanceOf(ErrnoError);
      expect(w.code).toBe('ENOSPC');
      expect(w.message).toMatch(/^nbd\+unix:\/\/\/\?socket=.*: write of 10 bytes at offset 0 failed: ENOSPC/);
      const r = await d.read(0, 10).catch((e) => e);
      expect(r.code).toBe('EPERM');
      // the connection survives errors
      await d.zero(0, 10);
    } finally {
      await d.close();
      await stop(srv);
    }
  });

  it('the server dying mid-request rejects every pending request quickly', async () => {
    const sock = path.join(dir, 'slow.sock');
    const srv = await startServer('nbdkit', ['-f', '--exit-with-parent', '-U', sock, '--filter=delay', 'memory', '1G', 'rdelay=5'], { path: sock });
    const d = await NbdDevice.connect(unixUri(sock));
    const t0 = Date.now();
    const reads = Array.from({ length: 8 }, (_, i) => d.read(i * MiB, 4096).then(
      () => null,
      (e) => e,
    ));
    await new Promise((r) => setTimeout(r, 200));
    srv.kill('SIGKILL');
    const errs = await Promise.all(reads);
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const e of errs) {
      expect(e).toBeInstanceOf(NbdError);
      expect(e.message).toMatch(/read at offset \d+ failed: (the server closed the connection|connection error)/);
    }
    await expect(d.read(0, 1)).rejects.toBeInstanceOf(NbdError);
    await d.close();
  });
});

describe('connection failures', () => {
  it('nothing listening on TCP', async () => {
    const port = await freePort();
    const uri = `nbd://127.0.0.1:${port}`;
    const err = await NbdDevice.connect(uri).catch((e) => e);
    expect(err).toBeInstanceOf(NbdError);
    expect(err.message).toBe(`${uri}: cannot connect: connection refused`);
  });

  it('no such unix socket', async () => {
    const uri = unixUri(path.join(dir, 'missing.sock'));
    await expect(NbdDevice.connect(uri)).rejects.toThrow(`${uri}: cannot connect: no such socket`);
  });

  it('not an NBD server, and a server that never answers', async () => {
    const talker = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const mute = net.createServer(() => {});
    await new Promise<void>((r) => talker.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    try {
      const p1 = (talker.address() as net.AddressInfo).port;
      await expect(NbdDevice.connect(`nbd://127.0.0.1:${p1}`)).rejects.toThrow(/: not an NBD server/);
      const p2 = (mute.address() as net.AddressInfo).port;
      const t0 = Date.now();
      await expect(NbdDevice.connect(`nbd://127.0.0.1:${p2}`, { connectTimeoutMs: 300 })).rejects.toThrow(
        `nbd://127.0.0.1:${p2}: handshake timed out after 0.3 s`,
      );
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      mute.close();
      talker.close();
      // close() waits for open connections; the client destroyed its sockets.
    }
  });
});
