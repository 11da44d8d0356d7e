/**
 * The appliance's helper processes (qemu, qemu-nbd) and private directories:
 * registered while alive so that process exit, SIGINT and SIGTERM kill and
 * remove them even when the handle was never closed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function killAllSync(): void {
  for (const c of children) {
    try {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  children.clear();
  for (const d of dirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  dirs.clear();
}

function onExit(): void {
  killAllSync();
}

function onSignal(sig: NodeJS.Signals): void {
  killAllSync();
  uninstall();
  // Default action (terminate with 128+signo) unless someone else listens.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

function maybeUninstall(): void {
  if (children.size === 0 && dirs.size === 0) uninstall();
}

/** Spawns a child that is killed on process exit/signals until it exits. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const c = spawn(cmd, args, opts);
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

export function trackDir(dir: string): void {
  dirs.add(dir);
  install();
}

export async function removeDir(dir: string): Promise<void> {
  try {
    await fs.promises.rm(dir, { recursive: true, force: true });
  } finally {
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
