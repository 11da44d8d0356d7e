/**
 * Editing a guest file on the host, as virt-edit and guestfish's `edit` do: the
 * file is copied to a private temporary directory, changed there (by an editor
 * or an expression), and written back. virt-edit's write-back replaces the file
 * in one step: the new content goes to a fresh name in the same guest
 * directory, takes the original's attributes (mode, owner, extended
 * attributes), the original is renamed to the backup name if one was asked
 * for, and the new file is renamed over the original; a failure before that
 * last rename leaves the original as it was. A backend that cannot copy
 * extended attributes (wasm) would drop them (an SELinux label, say), so there
 * the file keeps its inode instead: the backup is a cp -a copy and the content
 * is written in place, which keeps mode, owner and every attribute. (Tools open
 * the disks transactionally, so either way a failure leaves the image as it was.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Guestfs } from '../core/guestfs.js';
import { NotSupportedError } from '../errors/index.js';

/** Runs `f` on a host copy of the guest file (mode 0600, in a directory only we can read). */
export async function withGuestFile<T>(g: Guestfs, path: string, f: (file: string, original: Uint8Array) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'guestkit-edit-'));
  try {
    const file = join(dir, posix.basename(path) || 'file');
    // download, as guestfish and virt-edit fetch the file (and so their messages: "download: /x: ...").
    await writeFile(file, '', { mode: 0o600 });
    await g.call('download', [path, file]);
    const content = await readFile(file);
    return await f(file, content);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh 8-character name in the file's guest directory (virt-edit's temporary name). */
async function freshName(g: Guestfs, dir: string): Promise<string> {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    const name = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
    const path = `${dir === '/' ? '' : dir}/${name}`;
    if (!(await g.call('exists', [path]))) return path;
  }
}

/**
 * Replaces the guest file's content as virt-edit does (see the file comment); `backup` is an
 * extension such as ".orig". A symlink is written through: its target is replaced.
 */
export async function replaceGuestFile(g: Guestfs, file: string, content: Uint8Array, backup?: string): Promise<void> {
  // The file that was read: through a symlink, its target (the link stays a link).
  const path = (await g.call('realpath', [file])) as string;
  const staged = await freshName(g, posix.dirname(path));
  try {
    await g.call('write', [staged, content]);
    await g.call('copy-attributes', [path, staged], { all: true });
  } catch (e) {
    await g.call('rm-f', [staged]).catch(() => undefined);
    if (!(e instanceof NotSupportedError)) throw e;
    if (backup) await g.call('cp-a', [path, `${path}${backup}`]);
    await g.call('write', [path, content]);
    return;
  }
  try {
    if (backup) await g.call('mv', [path, `${path}${backup}`]);
  } catch (e) {
    await g.call('rm-f', [staged]).catch(() => undefined);
    throw e;
  }
  await g.call('mv', [staged, path]);
}
