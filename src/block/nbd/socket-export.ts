/**
 * guestkit's NBD server on one device, on a unix socket, in this process, for
 * a VM's qemu to read its disk from: the connections it serves, and the first
 * write, zero or flush that failed under a client (FailureWatch). A failure
 * reaches the guest, whose kernel may only log it: the host side asks
 * `failure` before it trusts what the guest did.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { BlockDevice } from '../block-device.js';
import { GuestkitError, formatError } from '../../errors/index.js';
import { FailureWatch } from '../failure-watch.js';
import { NbdServer, type NbdServerOptions } from './server.js';

export class SocketExport {
  private readonly connections = new Map<net.Socket, Promise<void>>();

  private constructor(
    readonly socket: string,
    private readonly device: FailureWatch,
    private readonly listener: net.Server,
  ) {}

  /**
   * Serves `dev` on `socket` once it accepts connections; `connected` hears of
   * each connection with its service (which never rejects). Rejects with the
   * listener's own error.
   */
  static async listen(dev: BlockDevice, socket: string, opts: Omit<NbdServerOptions, 'device'>,
    connected?: (s: net.Socket, served: Promise<void>) => void): Promise<SocketExport> {
    const device = new FailureWatch(dev);
    const nbd = new NbdServer({ ...opts, device });
    const listener = net.createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(socket, () => resolve());
    });
    const exp = new SocketExport(socket, device, listener);
    listener.on('connection', (s) => {
      const served = nbd.serveConnection(s).finally(() => exp.connections.delete(s));
      exp.connections.set(s, served);
      connected?.(s, served);
    });
    return exp;
  }

  /** The first change that failed under a client, if any. */
  get failure(): unknown {
    return this.device.failure;
  }

  /** That failure as the error of `what` (its own code, else EIO), or undefined when there was none. */
  failureError(what: string, disk?: string): GuestkitError | undefined {
    const failed = this.device.failure;
    if (failed === undefined) return undefined;
    return new GuestkitError(failed instanceof GuestkitError ? failed.code : 'EIO', `${what}: ${formatError(failed)}`, { cause: failed, disk });
  }

  /**
   * Stops accepting, waits for the connections to end (those still open after
   * `graceMs`, when given, are dropped), and removes the socket. The device stays open.
   */
  async stop(graceMs?: number): Promise<void> {
    const stopped = new Promise<void>((r) => this.listener.close(() => r()));
    const served = Promise.all(this.connections.values());
    if (graceMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([served, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      for (const s of this.connections.keys()) s.destroy();
    }
    await Promise.all([stopped, served]);
    fs.rmSync(this.socket, { force: true });
  }
}
