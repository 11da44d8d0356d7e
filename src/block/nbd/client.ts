/**
 * NBD client: newstyle fixed handshake with option haggling (structured
 * replies, base:allocation, NBD_OPT_GO with block sizes; NBD_OPT_EXPORT_NAME
 * as the fallback), then pipelined transmission over TCP or a unix socket.
 */
import net from 'node:net';
import { readIntoNew, type BlockDevice, type Extent } from '../block-device.js';
import { ErrnoError, NbdError, type ErrnoName } from '../../errors/index.js';
import { checkRange, checkWritable } from '../slice.js';
import * as P from './protocol.js';
import { StreamReader } from './stream.js';
import { parseNbdUri, type NbdTarget } from './uri.js';

export interface NbdConnectOptions {
  /** Refuse writes even when the server allows them. */
  readOnly?: boolean;
  /** Time allowed for connecting and the handshake (ms). Default 10 000. */
  connectTimeoutMs?: number;
  /** Name used in messages (default: the URI). */
  name?: string;
  /** Runs after the connection is closed by close() (e.g. to stop a server). */
  onClose?: () => Promise<void>;
  /** Negotiate structured replies (default true). */
  structuredReplies?: boolean;
  /** Ask for base:allocation (default true). */
  blockStatus?: boolean;
}

/** What the handshake settled. */
export interface NbdExportInfo {
  size: number;
  flags: number;
  structuredReplies: boolean;
  /** Context id for base:allocation, when negotiated. */
  allocationContext: number | null;
  minBlockSize: number;
  preferredBlockSize: number;
  maxBlockSize: number;
  /** True when NBD_OPT_GO was refused and NBD_OPT_EXPORT_NAME was used. */
  usedExportName: boolean;
}

interface Pending {
  cmd: number;
  offset: number;
  length: number;
  dst?: Uint8Array;
  extents?: Array<{ length: number; flags: number }>;
  error?: { errno: ErrnoName; message: string };
  resolve: () => void;
  reject: (e: Error) => void;
}

const ONE_GIB = 1024 * 1024 * 1024;
/** Largest length sent in one TRIM / WRITE_ZEROES / BLOCK_STATUS request. */
const MAX_NON_PAYLOAD = ONE_GIB;
/** Largest option reply / control payload accepted. */
const MAX_CONTROL_PAYLOAD = 64 * 1024 * 1024;

function connectProblem(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOENT':
      return 'no such socket';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'unknown host';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
      return 'connection reset by the server';
    case 'ENOTSOCK':
      return 'not a socket';
    default:
      return e.code ? `${e.code}: ${e.message.split('\n')[0]}` : (e.message.split('\n')[0] ?? String(e));
  }
}

function u64(n: number): bigint {
  return BigInt(n);
}

function toSafeNumber(name: string, v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NbdError(name, `${what} ${v} is too large`);
  return Number(v);
}

export class NbdDevice implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;
  readonly info: NbdExportInfo;
  private readonly socket: net.Socket;
  private readonly reader: StreamReader;
  private readonly pending = new Map<number, Pending>();
  private nextCookie = 1;
  private dead: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly onClose?: () => Promise<void>;
  private readonly closed: Promise<void>;
  private idleWaiters: Array<() => void> = [];

  private constructor(
    name: string,
    socket: net.Socket,
    reader: StreamReader,
    info: NbdExportInfo,
    readOnly: boolean,
    onClose?: () => Promise<void>,
  ) {
    this.name = name;
    this.socket = socket;
    this.reader = reader;
    this.info = info;
    this.size = info.size;
    this.readOnly = readOnly || (info.flags & P.TF_READ_ONLY) !== 0;
    this.onClose = onClose;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => this.fatal(this.closing ? 'connection closed' : 'the server closed the connection'));
    socket.on('error', (e: NodeJS.ErrnoException) => this.fatal(`connection error: ${connectProblem(e)}`));
    void this.replyLoop();
  }

  /** Connects to an nbd:// or nbd+unix:// URI. */
  static connect(uri: string, opts: NbdConnectOptions = {}): Promise<NbdDevice> {
    return NbdDevice.connectTarget(parseNbdUri(uri), { name: uri, ...opts });
  }

  static async connectTarget(target: NbdTarget, opts: NbdConnectOptions = {}): Promise<NbdDevice> {
    const name =
      opts.name ?? (target.kind === 'unix' ? `nbd+unix:///${target.exportName}?socket=${target.socket}` : `nbd://${target.host}:${target.port}/${target.exportName}`);
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    const socket =
      target.kind === 'unix' ? net.connect({ path: target.socket }) : net.connect({ host: target.host, port: target.port });
    const reader = new StreamReader(socket);
    let timer: NodeJS.Timeout | undefined;
    let connected = false;
    let onError: ((e: NodeJS.ErrnoException) => void) | undefined;
    let onClose: (() => void) | undefined;
    try {
      const failure = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new NbdError(name, connected ? `handshake timed out after ${timeoutMs / 1000} s` : `cannot connect: timed out after ${timeoutMs / 1000} s`),
          );
        }, timeoutMs);
        onError = (e) => {
          const err = connected
            ? new NbdError(name, `connection error during the handshake: ${connectProblem(e)}`, { cause: e })
            : new NbdError(name, `cannot connect: ${connectProblem(e)}`, { cause: e });
          // Once connected, the handshake is reading: failing the reader
          // rejects it (with its own, more precise message where it has one).
          reader.fail(err);
          if (!connected) reject(err);
          socket.destroy();
        };
        onClose = () => {
          reader.fail(new NbdError(name, 'the server closed the connection during the handshake'));
        };
        socket.on('error', onError);
        socket.on('close', onClose);
      });
      failure.catch(() => {});
      const run = (async () => {
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        connected = true;
        if (target.kind === 'tcp') socket.setNoDelay(true);
        return handshake(name, socket, reader, target.exportName, opts);
      })();
      run.catch(() => {});
      const info = await Promise.race([run, failure]);
      clearTimeout(timer);
      socket.off('error', onError!);
      socket.off('close', onClose!);
      return new NbdDevice(name, socket, reader, info, opts.readOnly ?? false, opts.onClose);
    } catch (e) {
      clearTimeout(timer);
      socket.destroy();
      // keep a listener: a late 'error' must not become an uncaught exception
      socket.on('error', () => {});
      if (e instanceof NbdError) throw e;
      throw new NbdError(name, e instanceof Error ? e.message : String(e), { cause: e });
    }
  }

  get canFlush(): boolean {
    return (this.info.flags & P.TF_SEND_FLUSH) !== 0;
  }
  get canTrim(): boolean {
    return (this.info.flags & P.TF_SEND_TRIM) !== 0;
  }
  get canWriteZeroes(): boolean {
    return (this.info.flags & P.TF_SEND_WRITE_ZEROES) !== 0;
  }
  get canFastZero(): boolean {
    return (this.info.flags & P.TF_SEND_FAST_ZERO) !== 0;
  }
  get canMultiConn(): boolean {
    return (this.info.flags & P.TF_CAN_MULTI_CONN) !== 0;
  }
  get canDf(): boolean {
    return (this.info.flags & P.TF_SEND_DF) !== 0;
  }
  /** True when extents() asks the server (base:allocation was negotiated). */
  get hasBlockStatus(): boolean {
    return this.info.allocationContext !== null;
  }
  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  private get maxPayload(): number {
    return Math.max(this.info.minBlockSize, Math.min(this.info.maxBlockSize, 0xffffffff));
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return readIntoNew(this, offset, length);
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.name, this.size, offset, into.length, 'read');
    const min = this.info.minBlockSize;
    if (min > 1 && (offset % min !== 0 || into.length % min !== 0)) {
      // The server wants aligned requests: read the aligned superset.
      const start = offset - (offset % min);
      const end = Math.min(this.size, Math.ceil((offset + into.length) / min) * min);
      const bounce = new Uint8Array(end - start);
      await this.readAligned(start, bounce);
      into.set(bounce.subarray(offset - start, offset - start + into.length));
      return;
    }
    await this.readAligned(offset, into);
  }

  private async readAligned(offset: number, into: Uint8Array): Promise<void> {
    const max = this.maxPayload;
    const parts: Promise<void>[] = [];
    for (let done = 0; done < into.length; done += max) {
      const n = Math.min(max, into.length - done);
      parts.push(this.request(P.CMD_READ, 0, offset + done, n, { dst: into.subarray(done, done + n) }));
    }
    await Promise.all(parts);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkWritable(this.name, this.readOnly, 'write');
    checkRange(this.name, this.size, offset, data.length, 'write');
    const max = this.maxPayload;
    const parts: Promise<void>[] = [];
    for (let done = 0; done < data.length; done += max) {
      const n = Math.min(max, data.length - done);
      parts.push(this.request(P.CMD_WRITE, 0, offset + done, n, { payload: data.subarray(done, done + n) }));
    }
    await Promise.all(parts);
  }

  /** Makes the range read as zeroes (NBD_CMD_WRITE_ZEROES; plain zero writes when the server lacks it). */
  async zero(offset: number, length: number, trim = false): Promise<void> {
    checkWritable(this.name, this.readOnly, 'zero');
    checkRange(this.name, this.size, offset, length, 'zero');
    if (length === 0) return;
    const parts: Promise<void>[] = [];
    if (this.canWriteZeroes) {
      const flags = trim ? 0 : P.CMD_FLAG_NO_HOLE;
      for (let done = 0; done < length; done += MAX_NON_PAYLOAD) {
        const n = Math.min(MAX_NON_PAYLOAD, length - done);
        parts.push(this.request(P.CMD_WRITE_ZEROES, flags, offset + done, n));
      }
    } else {
      const chunk = Math.min(this.maxPayload, 4 * 1024 * 1024, length);
      const zeroes = new Uint8Array(chunk);
      for (let done = 0; done < length; done += chunk) {
        const n = Math.min(chunk, length - done);
        parts.push(this.request(P.CMD_WRITE, 0, offset + done, n, { payload: zeroes.subarray(0, n) }));
      }
    }
    await Promise.all(parts);
  }

  /** NBD_CMD_TRIM: the range may be deallocated (contents afterwards unspecified). No-op when unsupported. */
  async trim(offset: number, length: number): Promise<void> {
    checkWritable(this.name, this.readOnly, 'trim');
    checkRange(this.name, this.size, offset, length, 'trim');
    if (!this.canTrim || length === 0) return;
    const parts: Promise<void>[] = [];
    for (let done = 0; done < length; done += MAX_NON_PAYLOAD) {
      const n = Math.min(MAX_NON_PAYLOAD, length - done);
      parts.push(this.request(P.CMD_TRIM, 0, offset + done, n));
    }
    await Promise.all(parts);
  }

  async flush(): Promise<void> {
    if (this.readOnly || !this.canFlush) return;
    await this.request(P.CMD_FLUSH, 0, 0, 0);
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    checkRange(this.name, this.size, offset, length, 'extents');
    if (length === 0) return [];
    const ctx = this.info.allocationContext;
    if (ctx === null) return [{ offset, length, zero: false, hole: false }];
    const out: Extent[] = [];
    const end = offset + length;
    let cur = offset;
    while (cur < end) {
      const n = Math.min(MAX_NON_PAYLOAD, end - cur);
      const descs: Array<{ length: number; flags: number }> = [];
      await this.request(P.CMD_BLOCK_STATUS, 0, cur, n, { extents: descs });
      let covered = 0;
      for (const d of descs) {
        if (cur >= end) break;
        if (d.length === 0) continue;
        const len = Math.min(d.length, end - cur);
        const hole = (d.flags & P.STATE_HOLE) !== 0;
        const zero = (d.flags & P.STATE_ZERO) !== 0;
        const last = out[out.length - 1];
        if (last && last.hole === hole && last.zero === zero && last.offset + last.length === cur) last.length += len;
        else out.push({ offset: cur, length: len, hole, zero });
        cur += len;
        covered += len;
      }
      if (covered === 0) throw new NbdError(this.name, `block status at offset ${cur} returned no extents`);
    }
    return out;
  }

  /** Sends NBD_CMD_DISC and closes the connection, then runs onClose (flushes first when writable). */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    let flushError: unknown;
    if (!this.dead) {
      try {
        await this.flush();
      } catch (e) {
        flushError = e;
      }
      // Let requests already sent finish before disconnecting.
      if (this.pending.size > 0 && !this.dead) await new Promise<void>((r) => this.idleWaiters.push(r));
      if (!this.dead) {
        const h = Buffer.alloc(P.REQUEST_HEADER_SIZE);
        h.writeUInt32BE(P.REQUEST_MAGIC, 0);
        h.writeUInt16BE(0, 4);
        h.writeUInt16BE(P.CMD_DISC, 6);
        h.writeBigUInt64BE(0n, 8);
        this.socket.end(h);
      }
    }
    const timer = setTimeout(() => this.socket.destroy(), 2000);
    await this.closed;
    clearTimeout(timer);
    this.fatal('connection closed');
    if (this.onClose) await this.onClose();
    if (flushError) throw flushError;
  }

  /** Fails the connection: every pending request rejects, later ones too. */
  private fatal(problem: string, cause?: unknown): void {
    if (this.dead) return;
    const err = new NbdError(this.name, problem, cause === undefined ? {} : { cause });
    this.dead = err;
    this.reader.fail(err);
    const n = this.pending.size;
    const pend = [...this.pending.values()];
    this.pending.clear();
    this.wakeIdle();
    for (const p of pend) {
      p.reject(
        new NbdError(this.name, `${P.CMD_NAMES[p.cmd] ?? 'request'} at offset ${p.offset} failed: ${problem}${n > 1 ? ` (${n} requests pending)` : ''}`, { cause }),
      );
    }
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private request(
    cmd: number,
    flags: number,
    offset: number,
    length: number,
    extra: { dst?: Uint8Array; payload?: Uint8Array; extents?: Array<{ length: number; flags: number }> } = {},
  ): Promise<void> {
    if (this.dead) {
      return Promise.reject(
        new NbdError(this.name, `${P.CMD_NAMES[cmd]} at offset ${offset}: ${this.closing ? 'the connection is closed' : this.dead.message.slice(this.name.length + 2)}`),
      );
    }
    const cookie = this.nextCookie;
    this.nextCookie = (this.nextCookie % 0xffffffff) + 1;
    const h = Buffer.allocUnsafe(P.REQUEST_HEADER_SIZE);
    h.writeUInt32BE(P.REQUEST_MAGIC, 0);
    h.writeUInt16BE(flags, 4);
    h.writeUInt16BE(cmd, 6);
    h.writeUInt32BE(0, 8);
    h.writeUInt32BE(cookie, 12);
    h.writeBigUInt64BE(u64(offset), 16);
    h.writeUInt32BE(length, 24);
    return new Promise<void>((resolve, reject) => {
      this.pending.set(cookie, { cmd, offset, length, dst: extra.dst, extents: extra.extents, resolve, reject });
      if (extra.payload) {
        this.socket.cork();
        this.socket.write(h);
        this.socket.write(extra.payload);
        this.socket.uncork();
      } else {
        this.socket.write(h);
      }
    });
  }

  private async replyLoop(): Promise<void> {
    const r = this.reader;
    try {
      for (;;) {
        const hdr = await r.read(P.SIMPLE_REPLY_SIZE);
        const magic = hdr.readUInt32BE(0);
        if (magic === P.SIMPLE_REPLY_MAGIC) {
          const errno = hdr.readUInt32BE(4);
          const cookie = this.cookieOf(hdr, 8);
          const p = this.pending.get(cookie);
          if (!p) throw new Error(`reply for an unknown request (cookie ${cookie})`);
          if (errno !== 0) {
            this.done(cookie);
            p.reject(this.serverError(p, { errno: P.errnoName(errno), message: '' }));
            continue;
          }
          if (p.cmd === P.CMD_READ && p.dst) {
            if (this.info.structuredReplies) throw new Error('simple reply to a read after structured replies were negotiated');
            await r.readInto(p.dst);
          }
          this.done(cookie);
          p.resolve();
        } else if (magic === P.STRUCTURED_REPLY_MAGIC) {
          const rest = await r.read(4);
          const flags = hdr.readUInt16BE(4);
          const type = hdr.readUInt16BE(6);
          const cookie = this.cookieOf(hdr, 8);
          const length = rest.readUInt32BE(0);
          const p = this.pending.get(cookie);
          if (!p) throw new Error(`structured reply for an unknown request (cookie ${cookie})`);
          await this.structuredChunk(p, type, length);
          if (flags & P.REPLY_FLAG_DONE) {
            this.done(cookie);
            if (p.error) p.reject(this.serverError(p, p.error));
            else p.resolve();
          }
        } else {
          throw new Error(`bad reply magic 0x${magic.toString(16)}`);
        }
      }
    } catch (e) {
      if (this.dead) return; // already failed: the socket closed or errored
      this.fatal(`protocol error: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }

  private done(cookie: number): void {
    this.pending.delete(cookie);
    if (this.pending.size === 0 && this.idleWaiters.length > 0) this.wakeIdle();
  }

  private wakeIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private cookieOf(b: Buffer, at: number): number {
    const hi = b.readUInt32BE(at);
    const lo = b.readUInt32BE(at + 4);
    if (hi !== 0) throw new Error(`reply with an unknown cookie 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`);
    return lo;
  }

  private async structuredChunk(p: Pending, type: number, length: number): Promise<void> {
    const r = this.reader;
    switch (type) {
      case P.REPLY_TYPE_NONE:
        if (length !== 0) await r.skip(length);
        return;
      case P.REPLY_TYPE_OFFSET_DATA: {
        if (length < 8 || !p.dst) throw new Error('bad OFFSET_DATA chunk');
        const off = toSafeNumber(this.name, (await r.read(8)).readBigUInt64BE(0), 'offset');
        const n = length - 8;
        const rel = off - p.offset;
        if (rel < 0 || rel + n > p.length) throw new Error(`OFFSET_DATA chunk outside the request (offset ${off}, ${n} bytes)`);
        await r.readInto(p.dst.subarray(rel, rel + n));
        return;
      }
      case P.REPLY_TYPE_OFFSET_HOLE: {
        if (length !== 12 || !p.dst) throw new Error('bad OFFSET_HOLE chunk');
        const b = await r.read(12);
        const off = toSafeNumber(this.name, b.readBigUInt64BE(0), 'offset');
        const n = b.readUInt32BE(8);
        const rel = off - p.offset;
        if (rel < 0 || rel + n > p.length) throw new Error(`OFFSET_HOLE chunk outside the request (offset ${off}, ${n} bytes)`);
        p.dst.fill(0, rel, rel + n);
        return;
      }
      case P.REPLY_TYPE_BLOCK_STATUS: {
        if (length < 4 || (length - 4) % 8 !== 0 || length > MAX_CONTROL_PAYLOAD) throw new Error('bad BLOCK_STATUS chunk');
        const b = await r.read(length);
        const ctx = b.readUInt32BE(0);
        if (p.extents && ctx === this.info.allocationContext) {
          for (let i = 4; i < length; i += 8) p.extents.push({ length: b.readUInt32BE(i), flags: b.readUInt32BE(i + 4) });
        }
        return;
      }
      default: {
        if (length > MAX_CONTROL_PAYLOAD) throw new Error(`reply chunk too large (${length} bytes)`);
        const b = await r.read(length);
        if (type & P.REPLY_TYPE_ERROR_BIT) {
          if (length < 6) throw new Error('bad error chunk');
          const errno = b.readUInt32BE(0);
          const mlen = b.readUInt16BE(4);
          if (6 + mlen > length) throw new Error('bad error chunk message length');
          let message = b.subarray(6, 6 + mlen).toString('utf8').split('\n')[0]!.trim();
          if (type === P.REPLY_TYPE_ERROR_OFFSET && length >= 6 + mlen + 8) {
            const off = b.readBigUInt64BE(6 + mlen);
            message = message ? `${message} (at offset ${off})` : `at offset ${off}`;
          }
          if (!p.error) p.error = { errno: P.errnoName(errno), message };
        }
        // Unknown non-error chunk types are ignored, as the protocol allows.
        return;
      }
    }
  }

  private serverError(p: Pending, e: { errno: ErrnoName; message: string }): ErrnoError {
    const what = `${P.CMD_NAMES[p.cmd] ?? 'request'} of ${p.length} bytes at offset ${p.offset}`;
    return new ErrnoError(e.errno, `${this.name}: ${what} failed: ${e.errno}${e.message ? `: ${e.message}` : ''}`, {
      disk: this.name,
    });
  }
}

// ---------------------------------------------------------------- handshake

async function handshake(
  name: string,
  socket: net.Socket,
  r: StreamReader,
  exportName: string,
  opts: NbdConnectOptions,
): Promise<NbdExportInfo> {
  const fail = (problem: string) => new NbdError(name, problem);
  const magic = (await r.read(8)).readBigUInt64BE(0);
  if (magic !== P.NBDMAGIC) throw fail('not an NBD server (bad greeting)');
  const second = (await r.read(8)).readBigUInt64BE(0);
  if (second === P.OLDSTYLE_MAGIC) throw fail('the server uses the oldstyle handshake (not supported)');
  if (second !== P.IHAVEOPT) throw fail('not an NBD server (bad handshake magic)');
  const sflags = (await r.read(2)).readUInt16BE(0);
  const fixed = (sflags & P.FLAG_FIXED_NEWSTYLE) !== 0;
  const noZeroes = (sflags & P.FLAG_NO_ZEROES) !== 0;
  const cflags = Buffer.alloc(4);
  cflags.writeUInt32BE((fixed ? P.FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? P.FLAG_C_NO_ZEROES : 0));
  socket.write(cflags);

  const exportBytes = Buffer.from(exportName, 'utf8');
  const info: NbdExportInfo = {
    size: 0,
    flags: 0,
    structuredReplies: false,
    allocationContext: null,
    minBlockSize: 1,
    preferredBlockSize: 4096,
    maxBlockSize: P.DEFAULT_MAX_PAYLOAD,
    usedExportName: false,
  };

  const sendOption = (opt: number, data: Uint8Array = new Uint8Array(0)) => {
    const h = Buffer.alloc(16);
    h.writeBigUInt64BE(P.IHAVEOPT, 0);
    h.writeUInt32BE(opt, 8);
    h.writeUInt32BE(data.length, 12);
    socket.write(data.length ? Buffer.concat([h, data]) : h);
  };
  const readReply = async (opt: number): Promise<{ type: number; data: Buffer }> => {
    const h = await r.read(20);
    if (h.readBigUInt64BE(0) !== P.OPT_REPLY_MAGIC) throw fail('bad option reply magic');
    const ropt = h.readUInt32BE(8);
    const type = h.readUInt32BE(12);
    const len = h.readUInt32BE(16);
    if (ropt !== opt) throw fail(`option reply for option ${ropt}, expected ${opt}`);
    if (len > MAX_CONTROL_PAYLOAD) throw fail('option reply too large');
    const data = len ? await r.read(len) : Buffer.alloc(0);
    return { type, data };
  };
  const replyError = (what: string, rep: { type: number; data: Buffer }) => {
    const msg = rep.data.toString('utf8').split('\n')[0]!.trim();
    return fail(`${what}: ${P.optionErrorText(rep.type)}${msg ? ` (${msg})` : ''}`);
  };

  let useExportName = !fixed;
  if (fixed) {
    // Structured replies.
    if (opts.structuredReplies !== false) {
      sendOption(P.OPT_STRUCTURED_REPLY);
      const rep = await readReply(P.OPT_STRUCTURED_REPLY);
      if (rep.type === P.REP_ACK) info.structuredReplies = true;
      else if (!(rep.type & P.REP_FLAG_ERROR)) throw fail(`unexpected reply ${rep.type} to NBD_OPT_STRUCTURED_REPLY`);
    }
    // base:allocation.
    if (info.structuredReplies && opts.blockStatus !== false) {
      const q = Buffer.from(P.META_BASE_ALLOCATION, 'utf8');
      const d = Buffer.alloc(4 + exportBytes.length + 4 + 4 + q.length);
      let o = d.writeUInt32BE(exportBytes.length, 0);
      o += exportBytes.copy(d, o);
      o = d.writeUInt32BE(1, o);
      o = d.writeUInt32BE(q.length, o);
      q.copy(d, o);
      sendOption(P.OPT_SET_META_CONTEXT, d);
      for (;;) {
        const rep = await readReply(P.OPT_SET_META_CONTEXT);
        if (rep.type === P.REP_ACK) break;
        if (rep.type & P.REP_FLAG_ERROR) {
          // An unknown export here is reported again (better) by NBD_OPT_GO.
          break;
        }
        if (rep.type === P.REP_META_CONTEXT && rep.data.length >= 4) {
          const id = rep.data.readUInt32BE(0);
          if (rep.data.subarray(4).toString('utf8') === P.META_BASE_ALLOCATION) info.allocationContext = id;
        }
      }
    }
    // NBD_OPT_GO.
    const d = Buffer.alloc(4 + exportBytes.length + 2 + 2);
    let o = d.writeUInt32BE(exportBytes.length, 0);
    o += exportBytes.copy(d, o);
    o = d.writeUInt16BE(1, o);
    d.writeUInt16BE(P.INFO_BLOCK_SIZE, o);
    sendOption(P.OPT_GO, d);
    let gotExport = false;
    for (;;) {
      const rep = await readReply(P.OPT_GO);
      if (rep.type === P.REP_ACK) break;
      if (rep.type === P.REP_ERR_UNSUP) {
        useExportName = true;
        break;
      }
      if (rep.type & P.REP_FLAG_ERROR) throw replyError(`export '${exportName}'`, rep);
      if (rep.type === P.REP_INFO && rep.data.length >= 2) {
        const it = rep.data.readUInt16BE(0);
        if (it === P.INFO_EXPORT && rep.data.length >= 12) {
          info.size = toSafeNumber(name, rep.data.readBigUInt64BE(2), 'export size');
          info.flags = rep.data.readUInt16BE(10);
          gotExport = true;
        } else if (it === P.INFO_BLOCK_SIZE && rep.data.length >= 14) {
          info.minBlockSize = rep.data.readUInt32BE(2) || 1;
          info.preferredBlockSize = rep.data.readUInt32BE(6) || 4096;
          info.maxBlockSize = rep.data.readUInt32BE(10) || P.DEFAULT_MAX_PAYLOAD;
        }
      }
    }
    if (!useExportName && !gotExport) throw fail('the server sent no export information');
  }
  if (useExportName) {
    info.usedExportName = true;
    info.allocationContext = null; // negotiated only for NBD_OPT_GO
    sendOption(P.OPT_EXPORT_NAME, exportBytes);
    let b: Buffer;
    try {
      b = await r.read(10 + (noZeroes ? 0 : 124));
    } catch (e) {
      if (e instanceof NbdError && /closed/.test(e.message)) throw fail(`the server refused export '${exportName}'`);
      throw e;
    }
    info.size = toSafeNumber(name, b.readBigUInt64BE(0), 'export size');
    info.flags = b.readUInt16BE(8);
  }
  return info;
}
