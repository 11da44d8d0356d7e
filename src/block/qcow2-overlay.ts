/**
 * Transactional drives on the appliance backend: the appliance is given a qcow2
 * overlay whose backing file is the user's image (opened read-only by qemu), so
 * every write lands in the overlay; `qemu-img commit` folds it into the image
 * only when everything succeeded. The overlay lives in a private temporary
 * directory, removed on exit whatever happens.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeFormat, validateFormat } from './format.js';
import { checkBackingChain } from './backing-chain.js';
import { isNbdUri } from './nbd/uri.js';
import { GuestkitError } from '../errors/index.js';
import { addExitCleanup, removeExitCleanup } from '../util/process-cleanup.js';

const live = new Set<string>();

function removeAllSync(): void {
  for (const d of live) fs.rmSync(d, { recursive: true, force: true });
  live.clear();
}

function removeSync(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
  if (live.size === 0) removeExitCleanup(removeAllSync);
}

/** Runs a qemu-img command in its own session, so that a terminal's Ctrl-C does not reach it mid-commit. */
function qemuImg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new GuestkitError('ECHILD_PROC', `qemu-img: cannot start: ${e.message}`, { cause: e })));
    child.on('exit', (code, sig) => {
      if (code === 0) resolve();
      else reject(new GuestkitError('ECHILD_PROC', `qemu-img ${args[0]}: ${stderr.trim().split('\n')[0] || (sig ? `killed by ${sig}` : `exit status ${code}`)}`));
    });
  });
}

export class Qcow2Overlay {
  private constructor(readonly image: string, readonly path: string, private readonly dir: string) {}

  /** Creates the overlay over `image` (a file or NBD URI). */
  static async create(image: string, format?: string): Promise<Qcow2Overlay> {
    const nbd = isNbdUri(image);
    const fmt = format ? validateFormat(format) : nbd ? 'raw' : await probeFormat(image);
    if (fmt === 'qcow2' && !nbd) await checkBackingChain(image);
    const backing = nbd ? image : path.resolve(image);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-customize-'));
    live.add(dir);
    addExitCleanup(removeAllSync);
    const overlay = path.join(dir, 'overlay.qcow2');
    try {
      await qemuImg(['create', '-q', '-f', 'qcow2', '-b', backing, '-F', fmt, overlay]);
    } catch (e) {
      removeSync(dir);
      throw e;
    }
    return new Qcow2Overlay(image, overlay, dir);
  }

  /** Writes the overlay's clusters into the image and fsyncs it (local files). */
  async commit(): Promise<void> {
    await qemuImg(['commit', '-q', this.path]);
    if (!isNbdUri(this.image)) {
      const fd = fs.openSync(this.image, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  dispose(): void {
    removeSync(this.dir);
  }
}
