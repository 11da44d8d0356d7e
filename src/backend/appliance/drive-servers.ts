/**
 * The NBD servers the appliance's qemu reads its local drives from, one unix
 * socket each in the session's private directory.
 *
 * A drive guestkit opens itself (raw, qcow2 with its backing chain, read-only
 * vmdk: see open-drive.ts) is served in this process by guestkit's own NBD
 * server, so the image is parsed by one parser and checked by one locking path
 * (image-lock.ts: a drive another process writes is refused) whatever the
 * backend. The formats only qemu can read (vhdx, vdi, vpc, qed, a writable
 * vmdk, a qcow2 backed by one of those) are served by a qemu-nbd child, as the
 * wasm backend does for them.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { BlockDevice } from '../../block/block-device.js';
import { SocketExport } from '../../block/nbd/socket-export.js';
import { NeedsQemuNbd, openDrive } from '../../block/open-drive.js';
import { qemuNbdProblem } from '../../block/qemu-nbd.js';
import { GuestkitError, ImageError } from '../../errors/index.js';
import type { DriveConfig } from '../backend.js';
import { hasExited, spawnTracked, stopChild } from './children.js';

export interface DriveServer {
  /** The drive as the user named it. */
  readonly name: string;
  /** What serves it (for messages): guestkit's own NBD server, or a qemu-nbd child. */
  readonly via: 'guestkit' | 'qemu-nbd';
  /** The unix socket qemu connects to (export name ""). */
  readonly socket: string;
  /** The qemu-nbd child's process id (qemu-nbd-served drives only). */
  readonly pid?: number;
  /**
   * Calls `lost` when the server may have stopped serving by itself: the
   * qemu-nbd child exits, or a connection to guestkit's server ends (which
   * qemu's own exit does too: the backend tells the cases apart), with when
   * that connection was accepted (performance.now()).
   */
  watch(lost: (why: string, connectedAt?: number) => void): void;
  /** Stops serving: connections dropped, then the image closed (its writes written back) or the child stopped. */
  close(): Promise<void>;
}

export interface DriveServerOptions {
  /** The session's private directory (the socket's home, qemu-nbd's TMPDIR). */
  dir: string;
  /** The qemu-nbd program for the formats that need it. */
  qemuNbd?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts serving `d` on `socket`; resolves once the server accepts connections. */
export async function serveDrive(d: DriveConfig, socket: string, opts: DriveServerOptions): Promise<DriveServer> {
  let dev: BlockDevice;
  try {
    // Writes go straight to the image, as qemu-nbd's did: the guest's filesystems keep themselves consistent.
    dev = await openDrive({ file: d.file, format: d.format, readOnly: d.readonly, locking: d.locking, journaled: false, qemuNbd: false });
  } catch (e) {
    if (!(e instanceof NeedsQemuNbd)) throw e;
    const srv = new QemuNbdServer(d.file, e.format, d.readonly, socket, opts);
    await srv.ready();
    return srv;
  }
  try {
    return await InProcessServer.listen(d.file, dev, d.readonly, socket);
  } catch (e) {
    await dev.close();
    throw e;
  }
}

/** guestkit's NBD server on one drive, in this process. */
class InProcessServer implements DriveServer {
  readonly via = 'guestkit' as const;
  private lost?: (why: string, connectedAt?: number) => void;
  private closed = false;
  private exp!: SocketExport;

  private constructor(
    readonly name: string,
    private readonly device: BlockDevice,
  ) {}

  get socket(): string {
    return this.exp.socket;
  }

  static async listen(name: string, dev: BlockDevice, readOnly: boolean, socket: string): Promise<InProcessServer> {
    const srv = new InProcessServer(name, dev);
    try {
      srv.exp = await SocketExport.listen(dev, socket, { exportName: '', readOnly, description: path.basename(name), multiConn: false }, (s, served) => srv.served(s, served));
    } catch (e) {
      throw new GuestkitError('EIO', `${name}: cannot serve the drive on ${socket}: ${(e as Error).message}`, { cause: e, disk: name });
    }
    return srv;
  }

  private served(s: net.Socket, served: Promise<void>): void {
    const connectedAt = performance.now();
    let clientLeft = false;
    s.once('end', () => (clientLeft = true));
    void served.finally(() => {
      // qemu exiting (or killed) also ends its connection: the backend tells the cases apart.
      if (!this.closed && !clientLeft) this.lost?.(`the NBD server for ${this.name} (guestkit) ended the connection`, connectedAt);
      else if (!this.closed) this.lost?.(`the NBD connection for ${this.name} was closed`, connectedAt);
    });
  }

  watch(lost: (why: string, connectedAt?: number) => void): void {
    // Not once only: the connection of a qemu that failed to restore a saved state ends, and a new qemu connects.
    this.lost = lost;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // qemu is gone by now: its connection ends by itself once the server has answered what qemu sent.
    await this.exp.stop(1000);
    await this.device.close();
    const failed = this.exp.failureError(`${this.name}: a write from the appliance failed`, this.name);
    if (failed) throw failed;
  }
}

/** A qemu-nbd child serving one drive (--persistent: qemu may reconnect after a failed restore). */
class QemuNbdServer implements DriveServer {
  readonly via = 'qemu-nbd' as const;
  private readonly child: ChildProcess;
  private stderr = '';
  private spawnError?: NodeJS.ErrnoException;
  private readonly file: string;

  constructor(
    readonly name: string,
    private readonly format: string,
    readOnly: boolean,
    readonly socket: string,
    opts: DriveServerOptions,
  ) {
    this.file = path.resolve(name);
    const args = [`--format=${format}`, `--socket=${socket}`, '--persistent', '--shared=1'];
    if (readOnly) args.push('--read-only');
    else args.push('--cache=writeback', '--discard=unmap');
    args.push('--', this.file);
    this.child = spawnTracked(opts.qemuNbd ?? 'qemu-nbd', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: opts.dir } });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => {
      if (this.stderr.length < 65536) this.stderr += s;
    });
    this.child.on('error', (e: NodeJS.ErrnoException) => (this.spawnError = e));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits until qemu-nbd accepts connections (it runs --persistent, so a probe is harmless). */
  async ready(): Promise<void> {
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        const e = this.spawnError;
        if (e) {
          if (e.code === 'ENOENT') throw new GuestkitError('ECHILD_PROC', `${this.name}: ${this.format} images need qemu-nbd: install qemu-utils or convert the image`, { cause: e, disk: this.name });
          throw new GuestkitError('ECHILD_PROC', `qemu-nbd: cannot start: ${e.message}`, { cause: e, disk: this.name });
        }
        if (hasExited(this.child)) {
          await sleep(50);
          const problem = qemuNbdProblem(this.stderr, this.file, this.name);
          throw new ImageError(this.name, problem ? `cannot open as ${this.format}: ${problem}` : `qemu-nbd exited with status ${this.child.exitCode}`);
        }
        if (Date.now() > deadline) throw new GuestkitError('ECHILD_PROC', `${this.name}: qemu-nbd did not start serving within 10 s`, { disk: this.name });
        if (fs.existsSync(this.socket) && (await accepts(this.socket))) return;
        await sleep(5);
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  watch(lost: (why: string) => void): void {
    this.child.once('exit', (code, signal) => lost(`the NBD server for ${this.name} (qemu-nbd) ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`));
  }

  close(): Promise<void> {
    return stopChild(this.child, 0);
  }
}

function accepts(socket: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
