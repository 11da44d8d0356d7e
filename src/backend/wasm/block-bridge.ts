/**
 * Synchronous block I/O for the fs worker, served by the main thread.
 *
 * The C libraries in the worker call their device synchronously, but the block
 * devices (files, NBD sockets, overlays) are async and live on the main thread.
 * The worker writes a request into a SharedArrayBuffer and sleeps in
 * Atomics.wait; the main thread, woken by Atomics.waitAsync, runs the request
 * against the BlockDevice and wakes the worker. One request is in flight at a
 * time because the worker is single-threaded.
 */
import type { BlockDevice } from '../../block/block-device.js';
import type { SyncDevice } from '../../fs/fs-driver.js';
import { FsError } from '../../fs/fs-driver.js';

const STATE = 0, OP = 1, DEV = 2, LENGTH = 3, STATUS = 4, MSGLEN = 5;
const IDLE = 0, REQUEST = 1, DONE = 2, CLOSED = 3;
const OP_READ = 1, OP_WRITE = 2, OP_FLUSH = 3;
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
      const msg = new TextEncoder().encode(`${(e as Error).message ?? e}`.slice(0, 1000));
      this.data.set(msg);
      this.ctl[MSGLEN] = msg.length;
      this.ctl[STATUS] = 1;
    }
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
    const message = failed ? new TextDecoder().decode(this.data.slice(0, this.ctl[MSGLEN]!)) : '';
    Atomics.store(this.ctl, STATE, IDLE);
    Atomics.notify(this.ctl, STATE);
    if (failed) throw new FsError('EIO', message);
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
