/**
 * Drives `guestkit fish` over a pipe the way a program would: write one command,
 * wait for the output of an `echo` marker written after it, then decide the next.
 * A shell that read all of its input before running anything would never answer.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI } from './cli.js';
import { ROOT } from './fixtures.js';

export class FishDriver {
  private readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private marker = 0;
  private waiting?: () => void;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, 'fish', ...args], { cwd: ROOT, env: { ...process.env, TZ: 'UTC', ...env } });
    this.child.stdout.on('data', (c: Buffer) => { this.out += c.toString('utf8'); this.waiting?.(); });
    this.child.stderr.on('data', (c: Buffer) => { this.err += c.toString('utf8'); this.waiting?.(); });
    this.exited = new Promise((resolve) => this.child.on('close', (status) => { this.waiting?.(); resolve(status); }));
  }

  /** Sends one command and returns its stdout and stderr, once its marker came back. */
  async send(line: string, timeoutMs = 60_000): Promise<{ out: string; err: string }> {
    const tag = `--marker-${++this.marker}--`;
    const outStart = this.out.length, errStart = this.err.length;
    this.child.stdin.write(`${line}\n-echo ${tag}\n`);
    const deadline = Date.now() + timeoutMs;
    while (!this.out.includes(`${tag}\n`, outStart)) {
      if (this.child.exitCode !== null) throw new Error(`fish exited (${this.child.exitCode}) before answering '${line}': ${this.err.slice(errStart)}`);
      if (Date.now() > deadline) throw new Error(`no answer to '${line}' in ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        this.waiting = () => { clearTimeout(t); r(); };
      });
    }
    // stderr is a separate pipe: give what the command wrote there a moment to arrive.
    await new Promise((r) => setTimeout(r, 20));
    const end = this.out.indexOf(`${tag}\n`, outStart);
    return { out: this.out.slice(outStart, end), err: this.err.slice(errStart) };
  }

  /** Closes stdin and waits for the exit status. */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  get stderr(): string {
    return this.err;
  }
}
