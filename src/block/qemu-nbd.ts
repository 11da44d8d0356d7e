/**
 * Serving non-raw local images (qcow2, vmdk, ...) through qemu-nbd on a
 * private unix socket, and talking to it with our NBD client.
 *
 * qemu-nbd runs as our child (no --fork) without --persistent, so it also
 * exits by itself once our connection goes away. A module-level registry
 * reaps the live children on process exit, SIGINT and SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GuestkitError, ImageError, NbdError } from '../errors/index.js';
import { addExitCleanup, removeExitCleanup } from '../util/process-cleanup.js';
import { NbdDevice } from './nbd/client.js';

export interface QemuNbdOptions {
  /** The image file. */
  file: string;
  /** qemu's format name: qcow2, vmdk, vhdx, vdi, vpc, qed, qcow, raw. */
  format: string;
  readOnly: boolean;
  /** Name used in messages (default: `file` as given). */
  name?: string;
  /** How long qemu-nbd may take to start serving (ms). Default 10 000. */
  startTimeoutMs?: number;
  /** The program to run (default: qemu-nbd from PATH). */
  binary?: string;
  /**
   * Run qemu-nbd in its own session, out of reach of the terminal's Ctrl-C (which
   * signals the whole foreground process group): customize's commit must not lose
   * its server half way. It is still stopped by close() and on our exit.
   */
  ownSession?: boolean;
}

// ------------------------------------------------------- child registry

interface Live {
  child: ChildProcess;
  dir: string;
}

const live = new Set<Live>();

function killAllSync(): void {
  for (const l of live) {
    try {
      if (l.child.exitCode === null && l.child.signalCode === null) l.child.kill('SIGTERM');
    } catch {
      // already gone
    }
    try {
      fs.rmSync(l.dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  live.clear();
}

function register(l: Live): void {
  live.add(l);
  addExitCleanup(killAllSync);
}

function unregister(l: Live): void {
  live.delete(l);
  if (live.size === 0) removeExitCleanup(killAllSync);
}

/** qemu-nbd children alive now (for tests and diagnostics). */
export function liveQemuNbdCount(): number {
  return live.size;
}

// ------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function hasExited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(c)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      c.off('exit', done);
      resolve(false);
    }, ms);
    function done() {
      clearTimeout(t);
      resolve(true);
    }
    c.once('exit', done);
  });
}

async function stopChild(c: ChildProcess, graceMs: number): Promise<void> {
  // Without --persistent qemu-nbd leaves by itself ~30 ms after its client.
  if (await waitExit(c, graceMs)) return;
  c.kill('SIGTERM');
  if (await waitExit(c, 3000)) return;
  c.kill('SIGKILL');
  await waitExit(c, 3000);
}

/** One line from qemu-nbd's stderr, without its prefixes and with the user's file name. */
export function qemuNbdProblem(stderr: string, absFile: string, fileName: string): string | null {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^qemu-nbd: (Disconnect client|warning: )/i.test(l));
  const first = lines[0];
  if (!first) return null;
  let s = first.replace(/^qemu-nbd:\s*/, '');
  s = s.replace(/^Failed to blk_new_open '[^']*':\s*/, '');
  s = s.replace(/^Could not open '[^']*':\s*/, '');
  if (/lock/i.test(s) && lines.some((l) => /another process using the image/i.test(l))) s += ' (is another process using the image?)';
  s = s.split(`'${absFile}'`).join(`'${fileName}'`).split(absFile).join(fileName);
  return s;
}

// --------------------------------------------------------------- start

/**
 * Starts qemu-nbd on `file` and connects to it. The device's close()
 * disconnects, stops qemu-nbd and removes its private directory.
 */
export async function openWithQemuNbd(opts: QemuNbdOptions): Promise<NbdDevice> {
  const name = opts.name ?? opts.file;
  const absFile = path.resolve(opts.file);
  const binary = opts.binary ?? 'qemu-nbd';
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'guestkit-nbd-'));
  await fs.promises.chmod(dir, 0o700);
  const sock = path.join(dir, 'nbd.sock');
  const args = [`--format=${opts.format}`, `--socket=${sock}`, '--shared=1'];
  if (opts.readOnly) args.push('--read-only');
  else args.push('--cache=writeback', '--discard=unmap');
  args.push('--', absFile);

  let child: ChildProcess;
  try {
    child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: !!opts.ownSession });
  } catch (e) {
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw new GuestkitError('ECHILD_PROC', `${binary}: cannot start: ${(e as Error).message}`, { cause: e, disk: name });
  }
  const entry: Live = { child, dir };
  register(entry);

  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 65536) stderr += d;
  });
  let spawnError: NodeJS.ErrnoException | null = null;
  child.on('error', (e: NodeJS.ErrnoException) => {
    spawnError ??= e;
  });
  const stderrClosed = new Promise<void>((r) => child.stderr!.once('close', () => r()));

  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    try {
      if (child.pid !== undefined) await stopChild(child, 1000);
    } finally {
      unregister(entry);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  };

  const earlyExitError = async (): Promise<GuestkitError> => {
    if (spawnError) {
      if (spawnError.code === 'ENOENT') {
        // Formats guestkit does not read itself are qemu-nbd's alone to serve.
        if (['vhdx', 'vdi', 'vpc', 'qed', 'qcow'].includes(opts.format)) {
          return new GuestkitError('ECHILD_PROC', `${name}: ${opts.format} images need qemu-nbd: install qemu-utils or convert the image`, { cause: spawnError, disk: name });
        }
        return new GuestkitError('ECHILD_PROC', `${binary} not found: install the Debian package qemu-utils`, { cause: spawnError, disk: name });
      }
      return new GuestkitError('ECHILD_PROC', `${binary}: cannot start: ${spawnError.message}`, { cause: spawnError, disk: name });
    }
    await Promise.race([stderrClosed, sleep(500)]);
    const problem = qemuNbdProblem(stderr, absFile, name);
    const how = child.signalCode ? `killed by ${child.signalCode}` : `exited with status ${child.exitCode}`;
    return new ImageError(name, problem ? `cannot open as ${opts.format}: ${problem}` : `qemu-nbd ${how} while opening it as ${opts.format}`);
  };

  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError || hasExited(child)) throw await earlyExitError();
      if (Date.now() > deadline) {
        throw new GuestkitError('ECHILD_PROC', `${name}: qemu-nbd did not start serving within ${timeoutMs / 1000} s`, { disk: name });
      }
      if (!fs.existsSync(sock)) {
        await sleep(5);
        continue;
      }
      try {
        return await NbdDevice.connectTarget(
          { kind: 'unix', socket: sock, exportName: '' },
          {
            name,
            readOnly: opts.readOnly,
            connectTimeoutMs: Math.max(1000, deadline - Date.now()),
            onClose: cleanup,
          },
        );
      } catch (e) {
        const code = (e as { cause?: NodeJS.ErrnoException }).cause?.code;
        if (e instanceof NbdError && (code === 'ECONNREFUSED' || code === 'ENOENT')) {
          await sleep(5);
          continue;
        }
        // Did qemu-nbd die under us? Its stderr says why.
        if (await waitExit(child, 300)) throw await earlyExitError();
        throw e;
      }
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
}
