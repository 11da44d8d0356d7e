/**
 * Commits through the write-ahead journal (commit-journal.ts), and finishes
 * the commit an interrupted process left behind.
 */
import type { BlockDevice } from './block-device.js';
import { existsSync } from 'node:fs';
import { applyJournal, journalPaths, pendingJournal, removeJournal, writeJournal, type CommitRecord } from './commit-journal.js';
import { faultPoint } from './fault-points.js';
import { GuestkitError, ImageError, codeOfError } from '../errors/index.js';
import { isNbdUri } from './nbd/uri.js';

/**
 * Writes `records` to `target`, a writable handle on `image`: journal first,
 * then the image, then the journal goes. An NBD export has no place for a
 * journal beside it, so there the writes go straight to the server (whose own
 * storage decides what a crash leaves).
 */
export async function journaledCommit(image: string, target: BlockDevice, records: AsyncIterable<CommitRecord>): Promise<void> {
  if (isNbdUri(image)) {
    for await (const r of records) {
      faultPoint('image-write');
      if (r.data) await target.write(r.offset, r.data);
      else await target.zero(r.offset, r.length);
    }
    faultPoint('image-flush');
    await target.flush();
    return;
  }
  const journal = await writeJournal(image, target, records);
  try {
    await applyJournal(journal, target, image, { check: false });
  } catch (e) {
    // Past the commit point the journal holds the whole commit: it is finished, not undone.
    const code = codeOfError(e);
    const why = e instanceof Error ? e.message : String(e);
    throw new GuestkitError(code, `${image}: the commit stopped after its journal was written (${why}): the next guestkit open of the image finishes it`, { cause: e, disk: image });
  }
  removeJournal(journal);
  // A journal an earlier failed commit left in the other place (beside the image, or the cache) is
  // part of this one now: the ranges it held are in this commit's overlay too.
  const { beside, cached } = journalPaths(image);
  const other = journal === beside ? cached : beside;
  for (const p of [other, `${other}.tmp`]) if (existsSync(p)) removeJournal(p);
}

/**
 * Run on opening `image`: a complete journal is a commit that reached its
 * commit point, so a writable open replays it onto the image through
 * `target` (the handle just opened) and removes it; an incomplete one is
 * garbage from a crash before that point and is removed. A read-only open
 * writes nothing: it gets back the complete journal's path, to read through
 * (see openDrive), or null.
 */
export async function finishInterruptedCommit(image: string, target: BlockDevice): Promise<string | null> {
  if (isNbdUri(image)) return null;
  const pending = pendingJournal(image);
  if (!pending) return null;
  if (target.readOnly) return pending.complete ? pending.path : null;
  if (pending.complete) await applyJournal(pending.path, target, image, { check: true });
  removeJournal(pending.path);
  return null;
}

/** The error for a read-only open the appliance cannot serve: qemu reads the image file itself. */
export function pendingCommitError(image: string, journal: string): ImageError {
  return new ImageError(image, `an interrupted guestkit commit left ${journal}: open the image writable once with guestkit to finish it, or read it with --backend=wasm`);
}
