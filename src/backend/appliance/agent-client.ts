/**
 * The host side of the agent protocol (appliance/agent.sh), over the
 * virtio-serial port's unix socket. One request at a time:
 *
 *   host → guest:  "ID TYPE LEN1 LEN2\n" + LEN1 bytes of script + LEN2 bytes of stdin
 *   guest → host:  "ID RC OUTLEN ERRLEN\n" + OUTLEN bytes of stdout + ERRLEN bytes of stderr
 *
 * The guest first sends "READY\n" once it has opened its port. Standard output
 * can be streamed to a Writable (downloads) instead of being collected.
 *
 * A call that times out or whose AbortSignal fires is cancelled, not fatal:
 * its caller gets ETIMEDOUT / ECANCELED at once, the host sends
 * "ID cancel 0 0\n" (the agent kills the request's processes), and the reply
 * the request still sends is read and dropped before the next request goes
 * out. Only a guest that does not answer a cancel within the grace time
 * (CANCEL_GRACE_MS by default, from the last byte it sent) ends the session.
 */
import type net from 'node:net';
import type { Writable } from 'node:stream';
import { GuestkitError } from '../../errors/index.js';

export type RequestType = 'sh' | 'get' | 'quit';

/** How long a cancelled request may take to send its (dropped) reply, from its last byte. */
export const CANCEL_GRACE_MS = 30_000;

export interface AgentReply {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RequestOptions {
  stdin?: Uint8Array;
  /** Per-call timeout (ms); on expiry the call fails with ETIMEDOUT and is cancelled in the guest. Default: none. */
  timeoutMs?: number;
  /** Aborting it fails the call with ECANCELED and cancels it in the guest. */
  signal?: AbortSignal;
  /** Stream standard output here instead of collecting it. */
  sink?: Writable;
}

interface Current {
  id: number;
  resolve: (r: AgentReply) => void;
  reject: (e: Error) => void;
  /** Called once the reply has been read (or the connection died): the next request may go. */
  finished: () => void;
  /** Set once the caller has been given up on: the reply is read and dropped. */
  cancelled?: boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
  sink?: Writable;
  /** Set while the socket is paused for a full sink: resumes it. */
  unpause?: () => void;
  timer?: NodeJS.Timeout;
  // parse state for this reply
  rc?: number;
  outLeft?: number;
  errLeft?: number;
  out: Buffer[];
  err: Buffer[];
}

const MAX_HEADER = 200;

export class AgentClient {
  private buf: Buffer = Buffer.alloc(0);
  private ready = false;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private cur: Current | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private deadError: Error | null = null;
  /** Called once when the connection fails (timeout, protocol error, EOF). */
  onDead?: (e: Error) => void;

  constructor(private readonly sock: net.Socket, private readonly cancelGraceMs = CANCEL_GRACE_MS) {
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('close', () => this.fail(new GuestkitError('EIO', 'the appliance closed its agent connection')));
    sock.on('error', (e) => this.fail(new GuestkitError('EIO', `agent connection: ${e.message}`, { cause: e })));
  }

  get dead(): Error | null {
    return this.deadError;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** For an agent restored from a saved VM state: it announced READY before the save. */
  assumeReady(): void {
    this.ready = true;
  }

  /** Resolves when the agent has announced READY. */
  waitReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.deadError) return Promise.reject(this.deadError);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Marks the connection dead: rejects what is pending and everything after. */
  fail(e: Error): void {
    if (this.deadError) return;
    this.deadError = e;
    for (const w of this.readyWaiters) w.reject(e);
    this.readyWaiters = [];
    const c = this.cur;
    this.cur = null;
    if (c) {
      this.settle(c);
      if (!c.cancelled) c.reject(e);
    }
    this.sock.destroy();
    this.onDead?.(e);
  }

  /**
   * Sends one request; requests are queued and run one at a time (a cancelled
   * one holds the queue until its dropped reply has been read).
   */
  request(type: RequestType, script: string | Uint8Array, opts: RequestOptions = {}): Promise<AgentReply> {
    return new Promise<AgentReply>((resolve, reject) => {
      // aborted while still queued: fail now, and never send it
      let gaveUp = false;
      const onQueuedAbort = () => {
        gaveUp = true;
        reject(cancelledError());
      };
      opts.signal?.addEventListener('abort', onQueuedAbort, { once: true });
      const run = (): Promise<void> => {
        opts.signal?.removeEventListener('abort', onQueuedAbort);
        if (gaveUp) return Promise.resolve();
        return this.send(type, script, opts, resolve, reject);
      };
      this.queue = this.queue.then(run, run);
    });
  }

  /** Sends a request; the promise returned settles (never rejects) when the next one may go. */
  private send(type: RequestType, script: string | Uint8Array, opts: RequestOptions,
    resolve: (r: AgentReply) => void, reject: (e: Error) => void): Promise<void> {
    if (this.deadError) {
      reject(this.deadError);
      return Promise.resolve();
    }
    if (opts.signal?.aborted) {
      reject(cancelledError());
      return Promise.resolve();
    }
    const body = typeof script === 'string' ? Buffer.from(script, 'utf8') : Buffer.from(script);
    const stdin = opts.stdin ? Buffer.from(opts.stdin.buffer, opts.stdin.byteOffset, opts.stdin.byteLength) : Buffer.alloc(0);
    const id = this.nextId++;
    return new Promise<void>((finished) => {
      const c: Current = { id, resolve, reject, finished, sink: opts.sink, signal: opts.signal, out: [], err: [] };
      this.cur = c;
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        c.timer = setTimeout(() => {
          this.cancel(c, new GuestkitError('ETIMEDOUT', `the appliance did not answer within ${opts.timeoutMs! / 1000} s (the request was cancelled)`));
        }, opts.timeoutMs);
      }
      if (c.signal) {
        c.onAbort = () => this.cancel(c, cancelledError());
        c.signal.addEventListener('abort', c.onAbort, { once: true });
      }
      this.sock.write(`${id} ${type} ${body.length} ${stdin.length}\n`);
      if (body.length) this.sock.write(body);
      if (stdin.length) this.sock.write(stdin);
    });
  }

  /** Gives up on the current request: its caller gets `e`, the agent is told to kill it. */
  private cancel(c: Current, e: GuestkitError): void {
    if (this.cur !== c || c.cancelled || this.deadError) return;
    c.cancelled = true;
    if (c.signal && c.onAbort) c.signal.removeEventListener('abort', c.onAbort);
    c.sink = undefined; // the rest of a streamed reply is dropped
    c.unpause?.();
    c.reject(e);
    this.sock.write(`${c.id} cancel 0 0\n`);
    this.armGrace(c);
  }

  private armGrace(c: Current): void {
    if (c.timer) clearTimeout(c.timer);
    c.timer = setTimeout(() => {
      this.fail(new GuestkitError('ETIMEDOUT', `the appliance did not abandon a cancelled request within ${this.cancelGraceMs / 1000} s`));
    }, this.cancelGraceMs);
  }

  /** Clears what a request holds (timer, abort listener) and lets the next request go. */
  private settle(c: Current): void {
    if (c.timer) clearTimeout(c.timer);
    if (c.signal && c.onAbort) c.signal.removeEventListener('abort', c.onAbort);
    c.unpause?.();
    c.finished();
  }

  private protocolError(what: string): void {
    this.fail(new GuestkitError('EIO', `agent protocol error: ${what}`));
  }

  /**
   * The next line of the buffer (taken off it), or undefined while none is
   * complete; more than MAX_HEADER bytes without a newline is the protocol
   * error `tooLong`.
   */
  private takeLine(tooLong: string): string | undefined {
    const nl = this.buf.indexOf(10);
    if (nl < 0) {
      if (this.buf.length > MAX_HEADER) this.protocolError(tooLong);
      return undefined;
    }
    const line = this.buf.subarray(0, nl).toString('latin1');
    this.buf = this.buf.subarray(nl + 1);
    return line;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (this.cur?.cancelled) this.armGrace(this.cur);
    for (;;) {
      if (this.deadError) return;
      if (!this.ready) {
        const line = this.takeLine('no READY from the agent');
        if (line === undefined) return;
        if (line !== 'READY') {
          this.protocolError(`expected READY, got ${JSON.stringify(line.slice(0, 60))}`);
          return;
        }
        this.ready = true;
        for (const w of this.readyWaiters) w.resolve();
        this.readyWaiters = [];
        continue;
      }
      const c = this.cur;
      if (!c) {
        if (this.buf.length) this.protocolError('data from the agent with no request pending');
        return;
      }
      if (c.rc === undefined) {
        const line = this.takeLine('reply header too long');
        if (line === undefined) return;
        const m = /^(\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (!m || Number(m[1]) !== c.id) {
          this.protocolError(`bad reply header ${JSON.stringify(line.slice(0, 60))} for request ${c.id}`);
          return;
        }
        c.rc = Number(m[2]);
        c.outLeft = Number(m[3]);
        c.errLeft = Number(m[4]);
      }
      if (c.outLeft! > 0) {
        if (!this.buf.length) return;
        const n = Math.min(c.outLeft!, this.buf.length);
        const chunk = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        c.outLeft! -= n;
        if (c.sink) {
          // Copy: the chunk's memory is reused by later concatenations.
          const sink = c.sink;
          if (!sink.write(Buffer.from(chunk)) && !c.unpause) {
            // Backpressure while this reply streams; complete() lifts it whatever the sink does
            // (a sink ended by its owner never emits 'drain', and the next reply must still be read).
            this.sock.pause();
            const unpause = () => {
              sink.off('drain', unpause);
              c.unpause = undefined;
              this.sock.resume();
            };
            c.unpause = unpause;
            sink.once('drain', unpause);
          }
        } else if (!c.cancelled) c.out.push(chunk);
        continue;
      }
      if (c.errLeft! > 0) {
        if (!this.buf.length) return;
        const n = Math.min(c.errLeft!, this.buf.length);
        c.err.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        c.errLeft! -= n;
        continue;
      }
      // Complete.
      this.cur = null;
      this.settle(c);
      if (!c.cancelled) c.resolve({ rc: c.rc!, stdout: Buffer.concat(c.out), stderr: Buffer.concat(c.err) });
    }
  }
}

function cancelledError(): GuestkitError {
  return new GuestkitError('ECANCELED', 'the call was cancelled');
}
