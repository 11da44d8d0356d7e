/**
 * NBD server over any BlockDevice: the fixed newstyle handshake (EXPORT_NAME,
 * ABORT, LIST, INFO, GO, STRUCTURED_REPLY, LIST/SET_META_CONTEXT with
 * base:allocation), then transmission with requests handled concurrently:
 * reads (structured: data and hole chunks from the device's extents()),
 * block status, and writes/trim/write-zeroes/flush on writable exports.
 * One NbdServer serves any number of connections (`serveConnection`).
 */
import type net from 'node:net';
import type { BlockDevice, Extent } from '../block-device.js';
import { GuestkitError } from '../../errors/index.js';
import * as P from './protocol.js';
import { allocationStates, parseMetaQuery, parseNameAndInfos, u32AndText, wireError, writeChunkHeader, writeSimpleHeader, zeroRuns } from './server-messages.js';
import { StreamReader } from './stream.js';
import { ReadBufferPool } from './buffer-pool.js';
import { readReplyNow } from './read-reply.js';

export interface NbdServerOptions {
  device: BlockDevice;
  /** The export's name ("" is qemu-nbd's default). */
  exportName: string;
  description?: string;
  /** Refuse writes (the default for `guestkit serve`). */
  readOnly: boolean;
  /** Tell clients they may open several connections at once (only when the server will serve them). */
  multiConn: boolean;
  /**
   * Scan the data read for runs of zeroes and send those as hole chunks (the
   * default): for devices whose allocation map does not show their zeroes (a
   * raw file's map shows its holes at best, not zeroes written out). A qcow2's map shows them, and
   * scanning its data clusters costs a compare of every byte served (qemu-nbd
   * does not scan either).
   */
  findZeroRuns?: boolean;
  /**
   * Serving is the process's only work (`guestkit serve`): a read the device can answer at once
   * (page-cache preads, no metadata to load) is answered before the next request is read, in one
   * buffer and one write, holding the event loop meanwhile (src/block/nbd/read-reply.ts).
   */
  synchronousReads?: boolean;
}

/** Requests in progress per connection before the server stops reading more. */
const MAX_IN_FLIGHT = 64;
/** Bytes of replies queued on a socket (not yet taken by the kernel) before the server stops reading requests. */
const MAX_QUEUED_REPLY_BYTES = 4 * 1024 * 1024;
const MAX_OPTION_LENGTH = 64 * 1024;
/** Context id of base:allocation (the only context). */
const ALLOCATION_CONTEXT = 1;
const PREFERRED_BLOCK = 4096;
/** Bytes of read buffers kept for reuse (shared by all connections). */
const POOLED_READ_BYTES = 64 * 1024 * 1024;

class ClientGone extends Error {}

export class NbdServer {
  readonly maxPayload = P.DEFAULT_MAX_PAYLOAD;
  private readonly buffers = new ReadBufferPool(POOLED_READ_BYTES);

  constructor(private readonly opts: NbdServerOptions) {}

  private get transmissionFlags(): number {
    let f = P.TF_HAS_FLAGS | P.TF_SEND_FLUSH | P.TF_SEND_FUA | P.TF_SEND_DF | P.TF_SEND_CACHE;
    if (this.opts.readOnly) f |= P.TF_READ_ONLY;
    // Connections share one device (and one overlay), so they see each other's writes at once.
    if (this.opts.multiConn) f |= P.TF_CAN_MULTI_CONN;
    else f |= P.TF_SEND_TRIM | P.TF_SEND_WRITE_ZEROES;
    return f;
  }

  /** Serves one client until it disconnects; never rejects (a broken client only ends its connection). */
  async serveConnection(socket: net.Socket): Promise<void> {
    const reader = new StreamReader(socket);
    // Replies are written as soon as they are ready: Nagle would hold each behind the previous ACK.
    if (typeof socket.setNoDelay === 'function' && socket.remoteAddress !== undefined) socket.setNoDelay(true);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => reader.fail(new ClientGone('connection error')));
    socket.on('close', () => reader.fail(new ClientGone('closed')));
    try {
      const state = await this.handshake(socket, reader);
      if (state) await this.transmission(socket, reader, state);
    } catch {
      // A client that breaks the protocol or goes away just loses its connection.
    }
    socket.end();
    const timer = setTimeout(() => socket.destroy(), 2000);
    await closed;
    clearTimeout(timer);
  }

  // ------------------------------------------------------------ handshake

  private async handshake(socket: net.Socket, r: StreamReader): Promise<{ structured: boolean; allocation: boolean } | null> {
    const greeting = Buffer.alloc(18);
    greeting.writeBigUInt64BE(P.NBDMAGIC, 0);
    greeting.writeBigUInt64BE(P.IHAVEOPT, 8);
    greeting.writeUInt16BE(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES, 16);
    socket.write(greeting);
    const cflags = (await r.read(4)).readUInt32BE(0);
    const noZeroes = (cflags & P.FLAG_C_NO_ZEROES) !== 0;
    let structured = false;
    let allocation = false;
    const reply = (opt: number, type: number, data: Uint8Array = Buffer.alloc(0)) => {
      const h = Buffer.alloc(20);
      h.writeBigUInt64BE(P.OPT_REPLY_MAGIC, 0);
      h.writeUInt32BE(opt, 8);
      h.writeUInt32BE(type >>> 0, 12);
      h.writeUInt32BE(data.length, 16);
      socket.write(data.length ? Buffer.concat([h, data]) : h);
    };
    const errorReply = (opt: number, type: number, text: string) => reply(opt, type, Buffer.from(text, 'utf8'));
    /** False (after the error reply) for a malformed request or another export's name. */
    const knownExport = (opt: number, req: { name: string } | null): req is { name: string } => {
      if (!req) errorReply(opt, P.REP_ERR_INVALID, 'malformed request');
      else if (req.name !== this.opts.exportName) errorReply(opt, P.REP_ERR_UNKNOWN, `export '${req.name}' not present`);
      else return true;
      return false;
    };
    for (;;) {
      const h = await r.read(16);
      if (h.readBigUInt64BE(0) !== P.IHAVEOPT) return null;
      const opt = h.readUInt32BE(8);
      const len = h.readUInt32BE(12);
      if (len > MAX_OPTION_LENGTH) {
        // Too long to read: skip it and say so.
        await r.skip(len);
        errorReply(opt, P.REP_ERR_TOO_BIG, 'option too long');
        continue;
      }
      const data = len ? await r.read(len) : Buffer.alloc(0);
      switch (opt) {
        case P.OPT_EXPORT_NAME: {
          if (data.toString('utf8') !== this.opts.exportName) return null; // the protocol's only way to refuse
          const b = Buffer.alloc(10 + (noZeroes ? 0 : 124));
          b.writeBigUInt64BE(BigInt(this.opts.device.size), 0);
          b.writeUInt16BE(this.transmissionFlags & (structured ? 0xffff : ~P.TF_SEND_DF), 8);
          socket.write(b);
          return { structured, allocation };
        }
        case P.OPT_ABORT:
          reply(opt, P.REP_ACK);
          return null;
        case P.OPT_LIST: {
          if (len !== 0) {
            errorReply(opt, P.REP_ERR_INVALID, 'NBD_OPT_LIST takes no data');
            break;
          }
          reply(opt, P.REP_SERVER, u32AndText(Buffer.byteLength(this.opts.exportName), this.opts.exportName));
          reply(opt, P.REP_ACK);
          break;
        }
        case P.OPT_INFO:
        case P.OPT_GO: {
          const parsed = parseNameAndInfos(data);
          if (!knownExport(opt, parsed)) break;
          const e = Buffer.alloc(12);
          e.writeUInt16BE(P.INFO_EXPORT, 0);
          e.writeBigUInt64BE(BigInt(this.opts.device.size), 2);
          e.writeUInt16BE(this.transmissionFlags & (structured ? 0xffff : ~P.TF_SEND_DF), 10);
          reply(opt, P.REP_INFO, e);
          const bs = Buffer.alloc(14);
          bs.writeUInt16BE(P.INFO_BLOCK_SIZE, 0);
          bs.writeUInt32BE(1, 2);
          bs.writeUInt32BE(PREFERRED_BLOCK, 6);
          bs.writeUInt32BE(this.maxPayload, 10);
          reply(opt, P.REP_INFO, bs);
          if (parsed.infos.includes(P.INFO_DESCRIPTION) && this.opts.description) {
            reply(opt, P.REP_INFO, Buffer.concat([Buffer.from([0, P.INFO_DESCRIPTION]), Buffer.from(this.opts.description, 'utf8')]));
          }
          reply(opt, P.REP_ACK);
          if (opt === P.OPT_GO) return { structured, allocation };
          break;
        }
        case P.OPT_STRUCTURED_REPLY:
          if (len !== 0) errorReply(opt, P.REP_ERR_INVALID, 'NBD_OPT_STRUCTURED_REPLY takes no data');
          else {
            structured = true;
            reply(opt, P.REP_ACK);
          }
          break;
        case P.OPT_LIST_META_CONTEXT:
        case P.OPT_SET_META_CONTEXT: {
          const q = parseMetaQuery(data);
          if (q && opt === P.OPT_SET_META_CONTEXT && !structured) {
            errorReply(opt, P.REP_ERR_INVALID, 'structured replies must be negotiated first');
            break;
          }
          if (!knownExport(opt, q)) break;
          const listing = opt === P.OPT_LIST_META_CONTEXT;
          const wanted = q.queries.some((s) => s === P.META_BASE_ALLOCATION || (listing && (s === 'base:' || s === 'base')));
          if (opt === P.OPT_SET_META_CONTEXT) allocation = wanted;
          if (wanted || (listing && q.queries.length === 0)) {
            reply(opt, P.REP_META_CONTEXT, u32AndText(listing ? 0 : ALLOCATION_CONTEXT, P.META_BASE_ALLOCATION));
          }
          reply(opt, P.REP_ACK);
          break;
        }
        default:
          errorReply(opt, P.REP_ERR_UNSUP, `option ${opt} not supported`);
      }
    }
  }

  // ------------------------------------------------------------ transmission

  private async transmission(socket: net.Socket, r: StreamReader, st: { structured: boolean; allocation: boolean }): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const dev = this.opts.device;
    let draining: Promise<void> | null = null;
    /** Writes one reply; `onSent` runs once the socket no longer needs its bytes (sent or failed). */
    const send = (parts: Uint8Array[], onSent?: () => void) => {
      // One reply goes out in one piece (cork), header and payload together; a reply already in one
      // buffer (read-reply.ts) skips the cork's buffering.
      const last = parts.length - 1;
      if (last > 0) socket.cork();
      for (let i = 0; i < last; i++) socket.write(parts[i]!);
      const ok = onSent ? socket.write(parts[last]!, onSent) : socket.write(parts[last]!);
      if (last > 0) socket.uncork();
      // write() says false for any reply larger than the socket's 16 KiB high-water mark: waiting for
      // 'drain' after each one would leave the client without a reply in the pipe while the next is
      // read. Requests are read on until the replies still queued pass MAX_QUEUED_REPLY_BYTES.
      if (!ok && !draining && socket.writableLength > MAX_QUEUED_REPLY_BYTES) {
        // A client gone meanwhile ends the wait too: the next read of its requests then fails.
        draining = new Promise<void>((res) => {
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            draining = null;
            res();
          };
          socket.once('drain', done);
          socket.once('close', done);
        });
      }
    };
    const simple = (cookie: bigint, errno: number, payload?: Uint8Array, onSent?: () => void) => {
      const h = Buffer.allocUnsafe(P.SIMPLE_REPLY_SIZE); // every byte is written
      writeSimpleHeader(h, 0, errno);
      h.writeBigUInt64BE(cookie, 8);
      send(payload ? [h, payload] : [h], onSent);
    };
    const chunk = (cookie: bigint, flags: number, type: number, payload: Uint8Array[] = [], onSent?: () => void) => {
      const len = payload.reduce((n, p) => n + p.length, 0);
      const h = Buffer.allocUnsafe(P.STRUCTURED_REPLY_HEADER_SIZE); // every byte is written
      writeChunkHeader(h, 0, flags, type, len);
      h.writeBigUInt64BE(cookie, 8);
      send([h, ...payload], onSent);
    };
    const fail = (cookie: bigint, e: unknown) => {
      const { errno, message } = wireError(e);
      if (!st.structured) return simple(cookie, errno);
      const text = Buffer.from(message.slice(0, 4096), 'utf8');
      const p = Buffer.alloc(6 + text.length);
      p.writeUInt32BE(errno, 0);
      p.writeUInt16BE(text.length, 4);
      text.copy(p, 6);
      chunk(cookie, P.REPLY_FLAG_DONE, P.REPLY_TYPE_ERROR, [p]);
    };
    const ok = (cookie: bigint) => (st.structured ? chunk(cookie, P.REPLY_FLAG_DONE, P.REPLY_TYPE_NONE) : simple(cookie, 0));

    const handle = async (cmd: number, flags: number, cookie: bigint, offset: number, length: number, payload?: Buffer): Promise<void> => {
      const writing = cmd === P.CMD_WRITE || cmd === P.CMD_TRIM || cmd === P.CMD_WRITE_ZEROES;
      if (writing && this.opts.readOnly) return fail(cookie, new GuestkitError('EPERM', 'the export is read-only'));
      if (cmd !== P.CMD_FLUSH && offset + length > dev.size) {
        return fail(cookie, new GuestkitError(writing ? 'ENOSPC' : 'EINVAL', `request at offset ${offset} length ${length} is beyond the end of the export (${dev.size})`));
      }
      try {
        switch (cmd) {
          case P.CMD_READ:
            return await this.read(offset, length, flags, st.structured, cookie, simple, chunk);
          case P.CMD_WRITE:
            await dev.write(offset, payload!);
            if (flags & P.CMD_FLAG_FUA) await dev.flush();
            return ok(cookie);
          case P.CMD_TRIM:
          case P.CMD_WRITE_ZEROES:
            await dev.zero(offset, length, cmd === P.CMD_TRIM || !(flags & P.CMD_FLAG_NO_HOLE));
            if (flags & P.CMD_FLAG_FUA) await dev.flush();
            return ok(cookie);
          case P.CMD_FLUSH:
            if (!this.opts.readOnly) await dev.flush();
            return ok(cookie);
          case P.CMD_CACHE:
            return ok(cookie);
          case P.CMD_BLOCK_STATUS: {
            if (!st.allocation) return fail(cookie, new GuestkitError('EINVAL', 'no meta context was negotiated'));
            let extents = length === 0 ? [] : allocationStates(await dev.extents(offset, length));
            if (flags & P.CMD_FLAG_REQ_ONE) extents = extents.slice(0, 1);
            const p = Buffer.alloc(4 + extents.length * 8);
            p.writeUInt32BE(ALLOCATION_CONTEXT, 0);
            extents.forEach((e, i) => {
              p.writeUInt32BE(e.length, 4 + i * 8);
              p.writeUInt32BE(e.flags, 8 + i * 8);
            });
            return chunk(cookie, P.REPLY_FLAG_DONE, P.REPLY_TYPE_BLOCK_STATUS, [p]);
          }
          default:
            return fail(cookie, new GuestkitError('EINVAL', `unknown command ${cmd}`));
        }
      } catch (e) {
        return fail(cookie, e);
      }
    };

    // Reads answered at once: the device has the fast path and no zero runs are to be looked for.
    const readsNow = this.opts.synchronousReads === true && this.opts.findZeroRuns === false && dev.readIntoIfReady !== undefined;
    // Replies answered at once while more requests have arrived already are written together, with one
    // writev once no request is left to read (or before anything is awaited).
    let batching = false;
    const endBatch = () => {
      if (!batching) return;
      batching = false;
      socket.uncork();
    };
    for (;;) {
      let h = r.readNow(P.REQUEST_HEADER_SIZE);
      if (!h) {
        endBatch();
        h = await r.read(P.REQUEST_HEADER_SIZE);
      }
      if (h.readUInt32BE(0) !== P.REQUEST_MAGIC) return endBatch();
      const flags = h.readUInt16BE(4);
      const cmd = h.readUInt16BE(6);
      // Numbers, not BigInts (two allocations a request): the cookie is read as one only for the replies built here,
      // and an offset past 2^53 (no disk is that large) is clamped, to fail the range checks below.
      const offsetHigh = h.readUInt32BE(16);
      const offset = offsetHigh >= 0x200000 ? Number.MAX_SAFE_INTEGER : offsetHigh * 2 ** 32 + h.readUInt32BE(20);
      const length = h.readUInt32BE(24);
      if (cmd === P.CMD_DISC) {
        endBatch();
        await Promise.all(inFlight);
        return;
      }
      let payload: Buffer | undefined;
      if (cmd === P.CMD_WRITE) {
        endBatch();
        if (length > this.maxPayload) return; // cannot resynchronise: drop the client
        payload = await r.read(length);
      }
      if (cmd === P.CMD_READ && length > this.maxPayload) {
        fail(h.readBigUInt64BE(8), new GuestkitError('EINVAL', `read of ${length} bytes is larger than the maximum ${this.maxPayload}`));
        continue;
      }
      let reply: Buffer | null = null;
      if (readsNow && cmd === P.CMD_READ && offset + length <= dev.size) {
        try {
          reply = readReplyNow(dev, this.buffers, h, offset, length, st.structured, (flags & P.CMD_FLAG_DF) !== 0);
        } catch (e) {
          fail(h.readBigUInt64BE(8), e);
          continue;
        }
      }
      if (reply) {
        const sent = reply;
        if (!batching) {
          socket.cork();
          batching = true;
        }
        send([sent], () => this.buffers.release(sent));
      } else {
        const job = handle(cmd, flags, h.readBigUInt64BE(8), offset, length, payload).finally(() => inFlight.delete(job));
        inFlight.add(job);
        if (inFlight.size >= MAX_IN_FLIGHT) {
          endBatch();
          await Promise.race(inFlight);
        }
      }
      if (draining) {
        endBatch();
        await draining;
      }
    }
  }

  /** A read: one data chunk per allocated run and hole chunks for zero runs (structured), or one simple reply. */
  private async read(
    offset: number,
    length: number,
    flags: number,
    structured: boolean,
    cookie: bigint,
    simple: (cookie: bigint, errno: number, payload?: Uint8Array, onSent?: () => void) => void,
    chunk: (cookie: bigint, flags: number, type: number, payload?: Uint8Array[], onSent?: () => void) => void,
  ): Promise<void> {
    const dev = this.opts.device;
    const pool = this.buffers;
    if (!structured) {
      const data = pool.take(length); // every byte is read into it: no need to zero it first
      try {
        await dev.readInto(offset, data);
      } catch (e) {
        pool.release(data);
        throw e;
      }
      return simple(cookie, 0, data, () => pool.release(data));
    }
    const oneChunk = (flags & P.CMD_FLAG_DF) !== 0;
    const extents: Extent[] = oneChunk || length === 0 ? [{ offset, length, zero: false, hole: false }] : await dev.extents(offset, length);
    // Read every data run first: an error must not follow chunks already sent for this request.
    const parts = extents.map((e) => (e.zero ? null : pool.take(e.length)));
    // Every read settles before a failure gives the buffers back: none may still be filling one.
    const reads = await Promise.allSettled(parts.map((data, i) => data && dev.readInto(extents[i]!.offset, data)));
    const failed = reads.find((r) => r.status === 'rejected');
    if (failed) {
      for (const data of parts) if (data) pool.release(data);
      throw failed.reason;
    }
    // Zero runs inside data become hole chunks too, unless the client asked for one data chunk (DF)
    // or the device's map already showed them.
    const scan = !oneChunk && this.opts.findZeroRuns !== false;
    const pieces: Array<{ offset: number; length: number; data: Buffer | null; owner: Buffer | null }> = [];
    extents.forEach((e, i) => {
      const data = parts[i];
      if (!data) return pieces.push({ offset: e.offset, length: e.length, data: null, owner: null });
      if (!scan || data.length === 0) return pieces.push({ offset: e.offset, length: e.length, data, owner: data });
      for (const r of zeroRuns(data)) pieces.push({ offset: e.offset + r.from, length: r.to - r.from, data: r.zero ? null : data.subarray(r.from, r.to), owner: data });
    });
    // A buffer goes back to the pool after the last piece that uses it has been sent.
    const lastUse = new Map<Buffer, number>();
    pieces.forEach((p, i) => p.owner && lastUse.set(p.owner, i));
    pieces.forEach((p, i) => {
      const done = i === pieces.length - 1 ? P.REPLY_FLAG_DONE : 0;
      const owner = p.owner;
      const onSent = owner && lastUse.get(owner) === i ? () => pool.release(owner) : undefined;
      const at = Buffer.allocUnsafe(8);
      at.writeBigUInt64BE(BigInt(p.offset), 0);
      if (p.data) chunk(cookie, done, P.REPLY_TYPE_OFFSET_DATA, [at, p.data], onSent);
      else {
        const len = Buffer.allocUnsafe(4);
        len.writeUInt32BE(p.length, 0);
        chunk(cookie, done, P.REPLY_TYPE_OFFSET_HOLE, [at, len], onSent);
      }
    });
  }
}
