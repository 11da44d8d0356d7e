/**
 * Before a program other than guestkit's block layer opens an image (qemu in
 * the appliance reads the file itself), an interrupted guestkit commit must be
 * settled: replayed when the drive is writable, and refused when it is
 * read-only (nothing may be written then, and qemu would read the half-written
 * image).
 */
import { pendingJournal } from './commit-journal.js';
import { pendingCommitError } from './journaled-commit.js';
import { isNbdUri } from './nbd/uri.js';
import { openDrive } from './open-drive.js';

export async function settleInterruptedCommit(d: { file: string; format?: string; readonly: boolean; locking?: boolean }): Promise<void> {
  if (isNbdUri(d.file)) return;
  const pending = pendingJournal(d.file);
  if (!pending) return;
  if (d.readonly) {
    if (pending.complete) throw pendingCommitError(d.file, pending.path);
    return;
  }
  // A writable open replays (or removes) the journal: see openDrive.
  const dev = await openDrive({ file: d.file, format: d.format, readOnly: false, locking: d.locking, journaled: false });
  await dev.close();
}
