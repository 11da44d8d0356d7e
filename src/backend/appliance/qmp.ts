/**
 * A minimal QMP (QEMU Machine Protocol) client over a unix socket: one JSON
 * object per line; the greeting, then `qmp_capabilities`, then commands
 * answered in order by `return` or `error` objects (events are skipped).
 * Used to save the appliance's VM state (migrate to a file) and resume it.
 */
import net from 'node:net';
import { GuestkitError } from '../../errors/index.js';

type Reply = { return?: unknown; error?: { class?: string; desc?: string } };

export class QmpClient {
  private buf = '';
  private replies: Reply[] = [];
  private waiter?: () => void;
  private closed?: Error;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        try {
          const msg = JSON.parse(line) as Reply & { QMP?: unknown; event?: string };
          if (msg.event === undefined) this.replies.push(msg);
        } catch {
          this.closed = new GuestkitError('EIO', `QMP: unparsable reply ${JSON.stringify(line.slice(0, 60))}`);
        }
        this.waiter?.();
      }
    });
    const end = (e?: Error) => {
      this.closed ??= new GuestkitError('EIO', `QMP connection closed${e ? `: ${e.message}` : ''}`);
      this.waiter?.();
    };
    sock.on('error', end);
    sock.on('close', () => end());
  }

  /** Connects and negotiates capabilities, within timeoutMs. */
  static async connect(socketPath: string, timeoutMs: number): Promise<QmpClient> {
    const sock = net.connect(socketPath);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    const c = new QmpClient(sock);
    try {
      await c.next(timeoutMs); // greeting
      await c.execute('qmp_capabilities', undefined, timeoutMs);
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  private async next(timeoutMs: number): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.replies.shift();
      if (r) return r;
      if (this.closed) throw this.closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new GuestkitError('ETIMEDOUT', `QMP: no reply within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.waiter = undefined;
    }
  }

  /** Runs one command; resolves with its `return` value, rejects with its error. */
  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    this.sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    const r = await this.next(timeoutMs);
    if (r.error) throw new GuestkitError('EIO', `QMP ${command}: ${r.error.desc ?? r.error.class ?? 'failed'}`);
    return r.return;
  }

  close(): void {
    this.sock.destroy();
  }
}
