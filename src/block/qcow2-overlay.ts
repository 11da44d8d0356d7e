/**
 * Transactional drives on the appliance backend: the appliance is given a qcow2
 * overlay whose backing file is the user's image (opened read-only by qemu), so
 * every write lands in the overlay; commit() folds it into the image only when
 * everything succeeded, through the write-ahead journal (as the wasm backend's
 * commits), so a crash leaves the image as before or as after. The overlay
 * lives in a private temporary directory, removed on exit whatever happens.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeFormat, validateFormat } from './format.js';
import { checkBackingChain } from './backing-chain.js';
import { isNbdUri } from './nbd/uri.js';
import { GuestkitError } from '../errors/index.js';
import type { BlockDevice } from './block-device.js';
import type { CommitRecord } from './commit-journal.js';
import { journaledCommit } from './journaled-commit.js';
import { openDrive } from './open-drive.js';
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

/** A range of the overlay's own layer (qemu-img map's depth 0): data, or zeroes. */
interface OwnRange {
  start: number;
  length: number;
  zero: boolean;
}

/** The ranges the overlay itself holds, from `qemu-img map` (the rest reads through to the image). */
function ownRanges(overlay: string): Promise<OwnRange[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-img', ['map', '--output=json', '-f', 'qcow2', overlay], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new GuestkitError('ECHILD_PROC', `qemu-img: cannot start: ${e.message}`, { cause: e })));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new GuestkitError('ECHILD_PROC', `qemu-img map: ${err.trim().split('\n')[0] || `exit status ${code}`}`));
      const entries = JSON.parse(out) as Array<{ start: number; length: number; depth: number; present: boolean; zero: boolean; data: boolean }>;
      resolve(entries.filter((e) => e.depth === 0 && e.present).map((e) => ({ start: e.start, length: e.length, zero: e.zero && !e.data })));
    });
  });
}

const PIECE = 16 * 1024 * 1024;

async function* overlayRecords(overlay: BlockDevice, ranges: OwnRange[]): AsyncGenerator<CommitRecord> {
  for (const r of ranges) {
    if (r.zero) {
      yield { offset: r.start, length: r.length };
      continue;
    }
    for (let done = 0; done < r.length; done += PIECE) {
      const n = Math.min(PIECE, r.length - done);
      yield { offset: r.start + done, length: n, data: await overlay.read(r.start + done, n) };
    }
  }
}

export class Qcow2Overlay {
  private constructor(
    readonly image: string,
    readonly path: string,
    private readonly dir: string,
    private readonly format: string,
    private readonly locking: boolean | undefined,
  ) {}

  /** Creates the overlay over `image` (a file or NBD URI). */
  static async create(image: string, format?: string, locking?: boolean): Promise<Qcow2Overlay> {
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
    return new Qcow2Overlay(image, overlay, dir, fmt, locking);
  }

  /** Writes the overlay's own clusters into the image through the journal, and flushes it. */
  async commit(): Promise<void> {
    const ranges = await ownRanges(this.path);
    const overlay = await openDrive({ file: this.path, format: 'qcow2', readOnly: true });
    try {
      const target = await openDrive({ file: this.image, format: this.format, readOnly: false, ownSession: true, locking: this.locking, journaled: false });
      try {
        await journaledCommit(this.image, target, overlayRecords(overlay, ranges));
      } finally {
        await target.close();
      }
    } finally {
      await overlay.close();
    }
  }

  dispose(): void {
    removeSync(this.dir);
  }
}
