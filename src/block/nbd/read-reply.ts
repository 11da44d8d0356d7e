/**
 * A read's whole reply laid out in one buffer, for a device that can answer
 * without awaiting (BlockDevice.extentsIfReady / readIntoIfReady): the chunks
 * (structured) or the simple reply, headers beside their payload, the data read
 * straight into its place, so the server writes the reply with one call and
 * allocates nothing else for it.
 */
import type { BlockDevice, Extent } from '../block-device.js';
import type { ReadBufferPool } from './buffer-pool.js';
import * as P from './protocol.js';
import { writeChunkHeader, writeSimpleHeader } from './server-messages.js';

/** A chunk's header plus the offset every chunk of a read starts with. */
const CHUNK_HEAD = P.STRUCTURED_REPLY_HEADER_SIZE + 8;

/**
 * The reply to the read in `request` (its 28-byte header: the cookie is copied from it), in a buffer
 * from `pool` that the caller gives back once sent; null when the device cannot answer at once (the
 * caller then answers the asynchronous way). `oneChunk`: the client asked for one data chunk (DF).
 */
export function readReplyNow(
  dev: BlockDevice,
  pool: ReadBufferPool,
  request: Buffer,
  offset: number,
  length: number,
  structured: boolean,
  oneChunk: boolean,
): Buffer | null {
  if (!dev.readIntoIfReady) return null;
  if (!structured) {
    const reply = pool.take(P.SIMPLE_REPLY_SIZE + length);
    writeSimpleHeader(reply, 0, 0);
    copyCookie(request, reply, 8);
    return fill(dev, pool, reply, offset, P.SIMPLE_REPLY_SIZE, length);
  }
  const extents: Extent[] | null = oneChunk || length === 0 ? [{ offset, length, zero: false, hole: false }] : (dev.extentsIfReady?.(offset, length) ?? null);
  if (!extents) return null;
  let size = 0;
  for (const e of extents) size += CHUNK_HEAD + (e.zero ? 4 : e.length);
  const reply = pool.take(size);
  let at = 0;
  for (let i = 0; i < extents.length; i++) {
    const e = extents[i]!;
    const type = e.zero ? P.REPLY_TYPE_OFFSET_HOLE : P.REPLY_TYPE_OFFSET_DATA;
    writeChunkHeader(reply, at, i === extents.length - 1 ? P.REPLY_FLAG_DONE : 0, type, 8 + (e.zero ? 4 : e.length));
    copyCookie(request, reply, at + 8);
    reply.writeUInt32BE(Math.floor(e.offset / 2 ** 32), at + 20);
    reply.writeUInt32BE(e.offset >>> 0, at + 24);
    at += CHUNK_HEAD;
    if (e.zero) {
      reply.writeUInt32BE(e.length, at);
      at += 4;
    } else {
      if (!fill(dev, pool, reply, e.offset, at, e.length)) return null;
      at += e.length;
    }
  }
  return reply;
}

/** The request's cookie (bytes 8-15) into the reply at `at`, byte by byte: Buffer.copy and read/write pairs cost more for 8 bytes. */
function copyCookie(request: Buffer, reply: Buffer, at: number): void {
  for (let i = 0; i < 8; i++) reply[at + i] = request[8 + i]!;
}

/** Reads `length` bytes at `offset` into `reply` at `at`; on false or a throw, `reply` has gone back to the pool. */
function fill(dev: BlockDevice, pool: ReadBufferPool, reply: Buffer, offset: number, at: number, length: number): Buffer | null {
  let done = false;
  try {
    done = dev.readIntoIfReady!(offset, reply.subarray(at, at + length));
  } finally {
    if (!done) pool.release(reply);
  }
  return done ? reply : null;
}
