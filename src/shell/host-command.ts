/**
 * Host programs the shell runs: `!cmd`, `<!cmd`, editors, pagers and viewers.
 * They run with the shell's local directory (`lcd`) and environment (`setenv`).
 * Their output goes to the shell's output stream, so a remote or captured session
 * sees it too; on a terminal they own the terminal, as a pager or editor must.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { Writable } from 'node:stream';
import { GuestkitError } from '../errors/index.js';

export interface HostContext {
  localDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly io: { out: NodeJS.WritableStream };
}

export interface HostRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
}

/** Runs `sh -c script`; its stdout is captured (capture) or copied to the shell's output. */
export function runShell(ctx: HostContext, script: string, opts: { capture?: boolean; env?: Record<string, string> } = {}): Promise<HostRun> {
  const terminal = ctx.io.out === process.stdout && process.stdout.isTTY && !opts.capture;
  // With commands arriving on a pipe, a child must not read the shell's own input.
  const stdin = process.stdin.isTTY ? 'inherit' : 'ignore';
  const stdio: StdioOptions = [stdin, terminal ? 'inherit' : 'pipe', 'inherit'];
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { cwd: ctx.localDir, env: { ...ctx.env, ...opts.env }, stdio });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => {
      if (opts.capture) chunks.push(c);
      else ctx.io.out.write(c);
    });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(chunks) }));
  });
}

/** `!cmd`: a failing command fails the line (and so stops a script), with no message of its own. */
export async function runHostCommand(ctx: HostContext, script: string): Promise<void> {
  const r = await runShell(ctx, script);
  if (r.status !== 0) throw new HostCommandFailed(script, r);
}

/** `<!cmd`: the command's output, to be run as fish commands. */
export async function hostCommandOutput(ctx: HostContext, script: string): Promise<string> {
  const r = await runShell(ctx, script, { capture: true });
  if (r.status !== 0) throw new HostCommandFailed(script, r);
  return r.stdout.toString('utf8');
}

/**
 * Runs a program named by a variable (EDITOR, PAGER...) on a host file. The
 * program text is shell words, as guestfish takes it ("emacs -nw"); the file
 * name travels in the environment, never through the shell's parser.
 */
export async function runProgramOn(ctx: HostContext, program: string, file: string, what: string): Promise<void> {
  const r = await runShell(ctx, `${program} "$GUESTKIT_FILE"`, { env: { GUESTKIT_FILE: file } });
  if (r.status === 127) throw new GuestkitError('ENOENT', `cannot run the ${what} '${program}': not found`);
  if (r.status !== 0) throw new GuestkitError('EIO', `the ${what} '${program}' failed${r.status === null ? ` (${r.signal})` : ` with status ${r.status}`}`);
}

/** The host command failed; the shell prints nothing more (its stderr said why). */
export class HostCommandFailed extends GuestkitError {
  constructor(script: string, r: HostRun) {
    super('EIO', `${script}: ${r.status === null ? `killed by ${r.signal}` : `exit status ${r.status}`}`);
    this.name = 'HostCommandFailed';
  }
}

/** `command | host-command`: a sink for the command's output, and the host command's end. */
export interface HostPipe {
  sink: NodeJS.WritableStream;
  /** A write to the host command failed (it exited without reading everything). */
  readonly writeFailed: boolean;
  /** Closes the host command's input and waits for it to finish. */
  finish(): Promise<HostRun>;
}

export function openPipe(ctx: HostContext, script: string): HostPipe {
  const terminal = ctx.io.out === process.stdout && process.stdout.isTTY;
  const child = spawn('/bin/sh', ['-c', script], { cwd: ctx.localDir, env: ctx.env, stdio: ['pipe', terminal ? 'inherit' : 'pipe', 'inherit'] });
  const out = ctx.io.out;
  child.stdout?.on('data', (c: Buffer) => out.write(c));
  let failed = false;
  // A reader that went away is the host command's business; --pipe-error makes it the command's failure.
  child.stdin!.on('error', () => { failed = true; });
  const ended = new Promise<HostRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.alloc(0) }));
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (failed || child.stdin!.destroyed) {
        failed = true;
        return cb();
      }
      child.stdin!.write(chunk, (e) => {
        if (e) failed = true;
        cb();
      });
    },
  });
  return {
    sink,
    get writeFailed() { return failed; },
    finish: () => {
      child.stdin!.end();
      return ended;
    },
  };
}
