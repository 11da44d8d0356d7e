/**
 * Synchronous block I/O for the fs worker, served by the main thread.
 *
 * The C libraries in the worker call their device synchronously, but the block
 * devices (files, NBD sockets, overlays) are async and live on the main thread.
 * The worker writes a request into a SharedArrayBuffer and sleeps in
 * Atomics.wait; the main thread, woken by Atomics.waitAsync, runs the request
 * against the BlockDevice and wakes the worker. One request is in flight at a
 * time because the worker is single-threaded.
 *
 * A failed request answers with the host error as an ErrorRecord (JSON in the
 * data buffer): the worker rethrows it with the host error's code (EROFS, ENOSPC,
 * ENBD, ...), never a bare EIO. The main thread keeps the host error object
 * itself under the record's hostRef, so the error the command's caller finally
 * gets has that very object in its cause chain (takeHostError).
 */
import type { BlockDevice } from '../../block/block-device.js';
import type { SyncDevice } from '../../fs/fs-driver.js';
import { FsError } from '../../fs/fs-driver.js';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from '../../errors/error-record.js';

const STATE = 0, OP = 1, DEV = 2, LENGTH = 3, STATUS = 4, MSGLEN = 5;
const IDLE = 0, REQUEST = 1, DONE = 2, CLOSED = 3;
const OP_READ = 1, OP_WRITE = 2, OP_FLUSH = 3;
/** Host errors kept for takeHostError: the newest ones (a command's error is taken as it returns). */
const KEPT_ERRORS = 32;
/** Bytes moved per round trip; larger requests are split. */
export const BRIDGE_DATA_BYTES = 8 << 20;

export interface BridgeBuffers {
  control: SharedArrayBuffer; // Int32 words above + a Float64 offset at byte 32
  data: SharedArrayBuffer;
}

export function createBridgeBuffers(): BridgeBuffers {
  return { control: new SharedArrayBuffer(64), data: new SharedArrayBuffer(BRIDGE_DATA_BYTES) };
}

/** Main-thread side: serves requests until stop(). */
export class BridgeServer {
  private readonly ctl: Int32Array;
  private readonly offset: Float64Array;
  private readonly data: Uint8Array;
  private readonly devices = new Map<number, BlockDevice>();
  private stopped = false;
  private readonly loop: Promise<void>;
  private readonly kept = new Map<number, unknown>();
  private nextRef = 1;

  constructor(buffers: BridgeBuffers) {
    this.ctl = new Int32Array(buffers.control, 0, 8);
    this.offset = new Float64Array(buffers.control, 32, 1);
    this.data = new Uint8Array(buffers.data);
    this.loop = this.serve();
  }

  register(id: number, dev: BlockDevice): void {
    this.devices.set(id, dev);
  }

  unregister(id: number): void {
    this.devices.delete(id);
  }

  private async serve(): Promise<void> {
    while (!this.stopped) {
      const state = Atomics.load(this.ctl, STATE);
      if (state === REQUEST) {
        await this.handle();
        Atomics.store(this.ctl, STATE, DONE);
        Atomics.notify(this.ctl, STATE);
        continue;
      }
      if (state === CLOSED) return;
      const w = Atomics.waitAsync(this.ctl, STATE, state);
      if (w.async) await w.value;
    }
  }

  private async handle(): Promise<void> {
    const op = this.ctl[OP]!, id = this.ctl[DEV]!, length = this.ctl[LENGTH]!, offset = this.offset[0]!;
    const dev = this.devices.get(id);
    try {
      if (!dev) throw new FsError('ENXIO', `device ${id} is not attached`);
      if (op === OP_READ) await dev.readInto(offset, this.data.subarray(0, length));
      else if (op === OP_WRITE) await dev.write(offset, this.data.slice(0, length));
      else if (op === OP_FLUSH) await dev.flush();
      this.ctl[STATUS] = 0;
    } catch (e) {
      const ref = this.keep(e);
      const record = toErrorRecord(e, 'EIO', (x) => (x === e ? ref : undefined));
      const msg = new TextEncoder().encode(JSON.stringify(record, (k, v: unknown) => (k === 'message' && typeof v === 'string' ? v.slice(0, 1000) : v)));
      this.data.set(msg.subarray(0, this.data.length));
      this.ctl[MSGLEN] = Math.min(msg.length, this.data.length);
      this.ctl[STATUS] = 1;
    }
  }

  private keep(e: unknown): number {
    const ref = this.nextRef++;
    this.kept.set(ref, e);
    for (const old of this.kept.keys()) {
      if (this.kept.size <= KEPT_ERRORS) break;
      this.kept.delete(old);
    }
    return ref;
  }

  /** The host error a record's hostRef names, if it is still kept (each is given out once). */
  takeHostError(ref: number): unknown {
    const e = this.kept.get(ref);
    this.kept.delete(ref);
    return e;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    Atomics.store(this.ctl, STATE, CLOSED);
    Atomics.notify(this.ctl, STATE);
    await this.loop;
  }
}

/** Worker side: one SyncDevice per attached device id. */
export class BridgeClient {
  private readonly ctl: Int32Array;
  private readonly offset: Float64Array;
  private readonly data: Uint8Array;

  constructor(buffers: BridgeBuffers) {
    this.ctl = new Int32Array(buffers.control, 0, 8);
    this.offset = new Float64Array(buffers.control, 32, 1);
    this.data = new Uint8Array(buffers.data);
  }

  private request(op: number, id: number, offset: number, length: number): void {
    this.ctl[OP] = op;
    this.ctl[DEV] = id;
    this.ctl[LENGTH] = length;
    this.offset[0] = offset;
    Atomics.store(this.ctl, STATE, REQUEST);
    Atomics.notify(this.ctl, STATE);
    while (Atomics.load(this.ctl, STATE) === REQUEST) Atomics.wait(this.ctl, STATE, REQUEST);
    const state = Atomics.load(this.ctl, STATE);
    if (state === CLOSED) throw new FsError('EIO', 'block device bridge closed');
    const failed = this.ctl[STATUS] !== 0;
    const record = failed ? (JSON.parse(new TextDecoder().decode(this.data.slice(0, this.ctl[MSGLEN]!))) as ErrorRecord) : undefined;
    Atomics.store(this.ctl, STATE, IDLE);
    Atomics.notify(this.ctl, STATE);
    if (record) throw fromErrorRecord(record);
  }

  device(id: number, size: number, readOnly: boolean): SyncDevice {
    return {
      size,
      readOnly,
      read: (offset, into) => {
        for (let done = 0; done < into.length;) {
          const n = Math.min(BRIDGE_DATA_BYTES, into.length - done);
          this.request(OP_READ, id, offset + done, n);
          into.set(this.data.subarray(0, n), done);
          done += n;
        }
      },
      write: (offset, src) => {
        if (readOnly) throw new FsError('EROFS', 'device is read-only');
        for (let done = 0; done < src.length;) {
          const n = Math.min(BRIDGE_DATA_BYTES, src.length - done);
          this.data.set(src.subarray(done, done + n));
          this.request(OP_WRITE, id, offset + done, n);
          done += n;
        }
      },
      flush: () => this.request(OP_FLUSH, id, 0, 0),
    };
  }
}
