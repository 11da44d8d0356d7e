/**
 * Transactional drives on the appliance backend: the appliance is given a qcow2
 * overlay whose backing file is the user's image (opened read-only by qemu), so
 * every write lands in the overlay; commit() folds it into the image only when
 * everything succeeded, through the write-ahead journal (as the wasm backend's
 * commits), so a crash leaves the image as before or as after. The overlay
 * lives in a private temporary directory, removed on exit whatever happens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeFormat, validateFormat } from './format.js';
import { checkBackingChain } from './backing-chain.js';
import { isNbdUri } from './nbd/uri.js';
import type { BlockDevice } from './block-device.js';
import type { CommitRecord } from './commit-journal.js';
import { journaledCommit } from './journaled-commit.js';
import { createQcow2 } from './qcow2/qcow2-create.js';
import { Qcow2Device, readQcow2Header } from './qcow2/qcow2-device.js';
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

/** A range of the overlay's own layer: data, or zeroes. */
interface OwnRange {
  start: number;
  length: number;
  zero: boolean;
}

/** The guest size of the image the overlay goes over (qemu-img create takes it from the backing file). */
async function imageSize(image: string, format: string): Promise<number> {
  if (!isNbdUri(image) && format === 'raw') {
    const st = await fs.promises.stat(image);
    if (st.isFile()) return st.size; // (a block device's size is the device's to tell: openDrive below)
  }
  if (!isNbdUri(image) && format === 'qcow2') return (await readQcow2Header(image)).size;
  const dev = await openDrive({ file: image, format, readOnly: true });
  try {
    return dev.size;
  } finally {
    await dev.close();
  }
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
      await createQcow2(overlay, { size: await imageSize(image, fmt), backingFile: backing, backingFormat: fmt, exclusive: true });
    } catch (e) {
      removeSync(dir);
      throw e;
    }
    return new Qcow2Overlay(image, overlay, dir, fmt, locking);
  }

  /** Writes the overlay's own clusters into the image through the journal, and flushes it. */
  async commit(): Promise<void> {
    // Only the overlay's own clusters are read: its backing file (the image itself) stays closed.
    const overlay = await Qcow2Device.open(this.path, { ignoreBacking: true });
    try {
      const ranges = await overlay.ownRanges();
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
