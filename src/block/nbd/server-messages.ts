/**
 * The NBD server's wire helpers: option payloads parsed, option replies and
 * block status encoded, errors turned into NBD error numbers.
 */
import type { Extent } from '../block-device.js';
import { GuestkitError } from '../../errors/index.js';
import * as P from './protocol.js';

/** errno names → NBD wire errors. */
const WIRE_ERRNO: Record<string, number> = { EPERM: 1, EROFS: 1, EACCES: 1, EIO: 5, ENOMEM: 12, EINVAL: 22, ENOSPC: 28, EOVERFLOW: 75, ENOTSUP: 95, ESHUTDOWN: 108 };

export function wireError(e: unknown): { errno: number; message: string } {
  const code = e instanceof GuestkitError ? e.code : ((e as NodeJS.ErrnoException)?.code ?? 'EIO');
  const message = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
  return { errno: WIRE_ERRNO[code] ?? 5, message };
}

/**
 * Extents as base:allocation states, adjacent equal states merged. As qemu-nbd
 * does, a range that reads as zeroes is reported as a hole too (NBD's hole
 * means "no data here"), so nbdinfo --map prints the same map for both servers.
 */
export function allocationStates(extents: Extent[]): Array<{ length: number; flags: number }> {
  const out: Array<{ length: number; flags: number }> = [];
  for (const e of extents) {
    const flags = e.zero ? P.STATE_HOLE | P.STATE_ZERO : e.hole ? P.STATE_HOLE : 0;
    const last = out[out.length - 1];
    if (last && last.flags === flags && last.length + e.length <= 0xffffffff) last.length += e.length;
    else out.push({ length: e.length, flags });
  }
  return out;
}

/** A 32-bit number followed by UTF-8 text (export lists, meta context replies). */
export function u32AndText(n: number, text: string): Buffer {
  const t = Buffer.from(text, 'utf8');
  const b = Buffer.alloc(4 + t.length);
  b.writeUInt32BE(n, 0);
  t.copy(b, 4);
  return b;
}

export function parseNameAndInfos(d: Buffer): { name: string; infos: number[] } | null {
  if (d.length < 6) return null;
  const n = d.readUInt32BE(0);
  if (4 + n + 2 > d.length) return null;
  const name = d.subarray(4, 4 + n).toString('utf8');
  const count = d.readUInt16BE(4 + n);
  if (4 + n + 2 + count * 2 !== d.length) return null;
  const infos: number[] = [];
  for (let i = 0; i < count; i++) infos.push(d.readUInt16BE(4 + n + 2 + i * 2));
  return { name, infos };
}

export function parseMetaQuery(d: Buffer): { name: string; queries: string[] } | null {
  if (d.length < 8) return null;
  const n = d.readUInt32BE(0);
  if (4 + n + 4 > d.length) return null;
  const name = d.subarray(4, 4 + n).toString('utf8');
  const count = d.readUInt32BE(4 + n);
  const queries: string[] = [];
  let at = 8 + n;
  for (let i = 0; i < count; i++) {
    if (at + 4 > d.length) return null;
    const l = d.readUInt32BE(at);
    if (at + 4 + l > d.length) return null;
    queries.push(d.subarray(at + 4, at + 4 + l).toString('utf8'));
    at += 4 + l;
  }
  return at === d.length ? { name, queries } : null;
}

const ZERO_GRANULE = 64 * 1024;
const ZERO_BLOCK = Buffer.alloc(ZERO_GRANULE);

/**
 * `data` cut into runs that read as zeroes and runs that do not, in 64 KiB
 * steps from its start: a read reply sends the zero runs as hole chunks, so a
 * raw file (whose holes Node sees only through filefrag's extent map, and not
 * the zeroes written out in its data) does not push its zeroes through the socket.
 */
export function zeroRuns(data: Uint8Array): Array<{ from: number; to: number; zero: boolean }> {
  const out: Array<{ from: number; to: number; zero: boolean }> = [];
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  for (let from = 0; from < bytes.length; from += ZERO_GRANULE) {
    const to = Math.min(bytes.length, from + ZERO_GRANULE);
    const zero = bytes.subarray(from, to).equals(ZERO_BLOCK.subarray(0, to - from));
    const last = out[out.length - 1];
    if (last && last.zero === zero) last.to = to;
    else out.push({ from, to, zero });
  }
  return out;
}

/** A simple reply's header into `buf` at `at`, all but its cookie (bytes 8-15, which the caller writes). */
export function writeSimpleHeader(buf: Buffer, at: number, errno: number): void {
  buf.writeUInt32BE(P.SIMPLE_REPLY_MAGIC, at);
  buf.writeUInt32BE(errno, at + 4);
}

/** A structured reply chunk's header into `buf` at `at`, all but its cookie (bytes 8-15, which the caller writes). */
export function writeChunkHeader(buf: Buffer, at: number, flags: number, type: number, payloadLength: number): void {
  buf.writeUInt32BE(P.STRUCTURED_REPLY_MAGIC, at);
  buf.writeUInt16BE(flags, at + 4);
  buf.writeUInt16BE(type, at + 6);
  buf.writeUInt32BE(payloadLength, at + 16);
}
