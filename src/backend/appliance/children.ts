/**
 * The appliance's helper processes (qemu, qemu-nbd) and private directories:
 * registered while alive so that process exit, SIGINT, SIGTERM and SIGHUP kill
 * and remove them even when the handle was never closed.
 *
 * When this process dies without running any handler (SIGKILL, a crash):
 * - helpers are started through `setpriv --pdeathsig KILL` (util-linux), so
 *   the kernel kills them when we die;
 * - each private directory has a watchdog, a detached `sh` holding the read end
 *   of a pipe from us: when the pipe closes (our exit, however it happens) it
 *   removes the directory. A normal removal closes the pipe too and the
 *   watchdog exits finding nothing left.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { addExitCleanup, removeExitCleanup } from '../../util/process-cleanup.js';

const children = new Set<ChildProcess>();
const dirs = new Map<string, ChildProcess | null>();

let setprivPath: string | null | undefined;

/** setpriv when it supports --pdeathsig (util-linux ≥ 2.33), else null. */
function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  for (const p of ['/usr/bin/setpriv', '/bin/setpriv']) {
    if (!fs.existsSync(p)) continue;
    const r = spawnSync(p, ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' });
    if (r.status === 0) setprivPath = p;
    break;
  }
  return setprivPath;
}

function killAllSync(): void {
  for (const c of children) {
    try {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  children.clear();
  for (const d of dirs.keys()) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  dirs.clear();
}

function install(): void {
  addExitCleanup(killAllSync);
}

function maybeUninstall(): void {
  if (children.size === 0 && dirs.size === 0) removeExitCleanup(killAllSync);
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The path a command name resolves to on PATH (or itself when it has a slash), or null. */
export function findExecutable(cmd: string, searchPath = process.env.PATH): string | null {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  for (const dir of (searchPath ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

/** Spawns a child that is killed on process exit/signals (and by the kernel if we die) until it exits. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  // setpriv execs the command: the pid, stdio and exit status are the command's own.
  // A command that is not there is spawned directly, for Node's own ENOENT error.
  const sp = findExecutable(cmd, opts.env?.PATH ?? process.env.PATH) ? setpriv() : null;
  const c = sp ? spawn(sp, ['--pdeathsig', 'KILL', '--', cmd, ...args], opts) : spawn(cmd, args, opts);
  children.add(c);
  install();
  const done = () => {
    children.delete(c);
    maybeUninstall();
  };
  c.once('exit', done);
  c.once('error', done);
  return c;
}

/** A detached sh that removes `dir` once its stdin (a pipe from us) closes. */
function startWatchdog(dir: string): ChildProcess | null {
  try {
    const w = spawn('/bin/sh', ['-c', 'read _ ; rm -rf -- "$1"', 'guestkit-dir-watchdog', dir], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // Its own session: a terminal's ^C (sent to our process group) must not stop it first.
      detached: true,
    });
    w.on('error', () => undefined);
    w.stdin!.on('error', () => undefined);
    w.unref();
    (w.stdin as unknown as { unref?: () => void }).unref?.();
    return w;
  } catch {
    return null;
  }
}

/** Registers a private directory: removed on exit and signals, and by a watchdog if we die. */
export function trackDir(dir: string): void {
  dirs.set(dir, startWatchdog(dir));
  install();
}

export async function removeDir(dir: string): Promise<void> {
  try {
    await fs.promises.rm(dir, { recursive: true, force: true });
  } finally {
    dirs.get(dir)?.stdin?.end();
    dirs.delete(dir);
    maybeUninstall();
  }
}

export function hasExited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

/** Resolves true when the child exits within `ms`, false otherwise. */
export function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(c)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      resolve(true);
    };
    const t = setTimeout(() => {
      c.off('exit', done);
      resolve(false);
    }, ms);
    c.once('exit', done);
  });
}

/** Waits `graceMs` for the child to leave by itself, then SIGTERM, then SIGKILL. */
export async function stopChild(c: ChildProcess, graceMs: number): Promise<void> {
  if (c.pid === undefined) return;
  if (await waitExit(c, graceMs)) return;
  c.kill('SIGTERM');
  if (await waitExit(c, 2000)) return;
  c.kill('SIGKILL');
  await waitExit(c, 2000);
}

/** Helper processes alive now (for tests). */
export function liveChildCount(): number {
  return children.size;
}
