/**
 * The commit step of a transactional drive: the read-only handle under the
 * overlay is closed, a writable handle on the same image is opened (only now:
 * before the commit nothing held the image writable), the overlay's dirty
 * chunks are written through it via the write-ahead journal (so a crash
 * leaves the image as before or as after) and flushed (fdatasync for files,
 * NBD FLUSH for qemu-nbd and servers), and the writable handle is closed.
 */
import { openDrive } from './open-drive.js';
import type { OverlayDevice } from './overlay.js';
import { journaledCommit } from './journaled-commit.js';

export async function commitOverlay(overlay: OverlayDevice, image: { file: string; format?: string; locking?: boolean }): Promise<void> {
  // The overlay's chunks are complete copies: committing reads nothing from the base.
  await overlay.base.close();
  const target = await openDrive({ file: image.file, format: image.format, readOnly: false, ownSession: true, locking: image.locking, journaled: false });
  try {
    overlay.checkTarget(target);
    await journaledCommit(image.file, target, overlay.dirtyRanges());
  } finally {
    await target.close();
  }
}
