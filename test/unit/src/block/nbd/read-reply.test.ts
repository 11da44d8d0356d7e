/**
 * The NBD server's at-once read path: Qcow2Device's synchronous map and read
 * (null / false until an L2 table is loaded, and for what needs more than a
 * pread), through a read-only OverlayDevice, and the reply bytes readReplyNow
 * lays out (chunk headers, cookie, offsets, hole lengths, data as qemu reads it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qcow2Device } from '../../../../../src/block/qcow2/qcow2-device.js';
import { OverlayDevice } from '../../../../../src/block/overlay.js';
import { ReadBufferPool } from '../../../../../src/block/nbd/buffer-pool.js';
import { readReplyNow } from '../../../../../src/block/nbd/read-reply.js';
import * as P from '../../../../../src/block/nbd/protocol.js';
import { KiB, MiB, qemuImg, qemuIo, qemuRaw } from '../../../../helpers/qcow2-images.js';

let dir: string;
let image: string;
let ref: Buffer;
const p = (n: string) => path.join(dir, n);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-read-reply-'));
  image = p('a.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', image, String(8 * MiB));
  // data at 0-192K, zeroes (zero clusters) at 192K-256K, unallocated up to 1M, data 1M-1M+64K.
  qemuIo(image, 'qcow2', 'write -P 0xab 0 192k', 'write -z 192k 64k', 'write -P 0x11 1M 64k');
  ref = fs.readFileSync(qemuRaw(image, p('a.raw')));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A read request's 28 bytes with this cookie. */
function request(cookie: bigint, offset: number, length: number): Buffer {
  const h = Buffer.alloc(P.REQUEST_HEADER_SIZE);
  h.writeUInt32BE(P.REQUEST_MAGIC, 0);
  h.writeUInt16BE(P.CMD_READ, 6);
  h.writeBigUInt64BE(cookie, 8);
  h.writeBigUInt64BE(BigInt(offset), 16);
  h.writeUInt32BE(length, 24);
  return h;
}

/** The chunks of a structured reply, parsed. */
function chunks(reply: Buffer): Array<{ flags: number; type: number; cookie: bigint; offset: number; data?: Buffer; hole?: number }> {
  const out = [];
  for (let at = 0; at < reply.length; ) {
    expect(reply.readUInt32BE(at)).toBe(P.STRUCTURED_REPLY_MAGIC);
    const type = reply.readUInt16BE(at + 6);
    const len = reply.readUInt32BE(at + 16);
    const offset = Number(reply.readBigUInt64BE(at + 20));
    const body = reply.subarray(at + 28, at + 20 + len);
    out.push({ flags: reply.readUInt16BE(at + 4), type, cookie: reply.readBigUInt64BE(at + 8), offset, ...(type === P.REPLY_TYPE_OFFSET_HOLE ? { hole: body.readUInt32BE(0) } : { data: Buffer.from(body) }) });
    at += 20 + len;
  }
  return out;
}

describe('reads answered at once', () => {
  it('Qcow2Device: nothing until the L2 table is loaded, then the same map and bytes as the async methods', async () => {
    const dev = await Qcow2Device.open(image);
    try {
      expect(dev.extentsIfReady(0, 2 * MiB)).toBeNull();
      expect(dev.readIntoIfReady(0, Buffer.alloc(64 * KiB))).toBe(false);
      const map = await dev.extents(0, 2 * MiB);
      await new Promise((r) => setImmediate(r)); // the table's load settles
      expect(dev.extentsIfReady(0, 2 * MiB)).toEqual(map);
      expect(map.map((e) => [e.offset, e.length, e.zero, e.hole])).toEqual([
        [0, 192 * KiB, false, false],
        [192 * KiB, 64 * KiB, true, false],
        [256 * KiB, 768 * KiB, true, true],
        [1 * MiB, 64 * KiB, false, false],
        [1 * MiB + 64 * KiB, 1 * MiB - 64 * KiB, true, true],
      ]);
      const got = Buffer.alloc(1 * MiB + 100 * KiB, 0xee);
      expect(dev.readIntoIfReady(7, got)).toBe(true);
      expect(got.equals(ref.subarray(7, 7 + got.length))).toBe(true);
    } finally {
      await dev.close();
    }
  });

  it('compressed clusters and ranges a backing file answers take the async path', async () => {
    const compressed = p('c.qcow2');
    qemuImg('convert', '-q', '-c', '-O', 'qcow2', image, compressed);
    const overlay = p('o.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', image, '-F', 'qcow2', overlay);
    for (const file of [compressed, overlay]) {
      const dev = await Qcow2Device.open(file);
      try {
        await dev.readInto(0, Buffer.alloc(64 * KiB));
        await new Promise((r) => setImmediate(r));
        expect(dev.readIntoIfReady(0, Buffer.alloc(64 * KiB))).toBe(false);
      } finally {
        await dev.close();
      }
    }
  });

  it('through a read-only overlay until something is written over it', async () => {
    const dev = new OverlayDevice(await Qcow2Device.open(image));
    try {
      await dev.extents(0, 64 * KiB);
      await new Promise((r) => setImmediate(r));
      expect(dev.extentsIfReady(0, 64 * KiB)).not.toBeNull();
      expect(dev.readIntoIfReady(0, Buffer.alloc(4 * KiB))).toBe(true);
      await dev.write(5 * MiB, Buffer.alloc(512, 1));
      expect(dev.extentsIfReady(0, 64 * KiB)).toBeNull();
      expect(dev.readIntoIfReady(0, Buffer.alloc(4 * KiB))).toBe(false);
    } finally {
      await dev.close();
    }
  });

  it('readReplyNow: data and hole chunks in one buffer, DONE on the last; one data chunk for DF; the simple reply', async () => {
    const dev = await Qcow2Device.open(image);
    const pool = new ReadBufferPool(4 * MiB);
    try {
      const cookie = 0x0123456789abcdefn;
      const req = request(cookie, 128 * KiB, 1 * MiB);
      expect(readReplyNow(dev, pool, req, 128 * KiB, 1 * MiB, true, false)).toBeNull(); // table not loaded yet
      await dev.extents(0, 64 * KiB);
      await new Promise((r) => setImmediate(r));

      const reply = readReplyNow(dev, pool, req, 128 * KiB, 1 * MiB, true, false)!;
      const got = chunks(reply);
      expect(got.map((c) => [c.flags, c.type, c.offset, c.data?.length ?? c.hole])).toEqual([
        [0, P.REPLY_TYPE_OFFSET_DATA, 128 * KiB, 64 * KiB],
        [0, P.REPLY_TYPE_OFFSET_HOLE, 192 * KiB, 64 * KiB], // zero clusters
        [0, P.REPLY_TYPE_OFFSET_HOLE, 256 * KiB, 768 * KiB], // unallocated
        [0, P.REPLY_TYPE_OFFSET_DATA, 1 * MiB, 64 * KiB],
        [P.REPLY_FLAG_DONE, P.REPLY_TYPE_OFFSET_HOLE, 1 * MiB + 64 * KiB, 64 * KiB],
      ]);
      expect(got.every((c) => c.cookie === cookie)).toBe(true);
      expect(got[0]!.data!.equals(ref.subarray(128 * KiB, 192 * KiB))).toBe(true);
      expect(got[3]!.data!.equals(ref.subarray(1 * MiB, 1 * MiB + 64 * KiB))).toBe(true);
      pool.release(reply);

      const df = chunks(readReplyNow(dev, pool, req, 128 * KiB, 1 * MiB, true, true)!);
      expect(df.map((c) => [c.flags, c.type, c.offset])).toEqual([[P.REPLY_FLAG_DONE, P.REPLY_TYPE_OFFSET_DATA, 128 * KiB]]);
      expect(df[0]!.data!.equals(ref.subarray(128 * KiB, 128 * KiB + 1 * MiB))).toBe(true);

      const simple = readReplyNow(dev, pool, req, 100, 300 * KiB, false, false)!;
      expect(simple.length).toBe(P.SIMPLE_REPLY_SIZE + 300 * KiB);
      expect([simple.readUInt32BE(0), simple.readUInt32BE(4), simple.readBigUInt64BE(8)]).toEqual([P.SIMPLE_REPLY_MAGIC, 0, cookie]);
      expect(simple.subarray(P.SIMPLE_REPLY_SIZE).equals(ref.subarray(100, 100 + 300 * KiB))).toBe(true);
    } finally {
      await dev.close();
    }
  });
});
