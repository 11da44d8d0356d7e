/**
 * The appliance's saved VM state: a booted appliance (agent ready, block driver
 * not yet loaded, so no drive has been looked at) migrated by qemu to a file,
 * from which later sessions start with `-incoming` instead of booting.
 *
 * Kept beside the appliance it was booted from (same input hash), under a key
 * that covers everything the restored VM must agree with: the qemu binary
 * (path, size, mtime: an upgraded qemu gives a new key), the machine and its
 * devices (qemu's arguments with the session's paths taken out, the number of
 * drives and whether each is read-only), and the tools image the guest has
 * mounted (path, size, mtime). The appliance directory's hash already
 * covers the kernel and the initramfs.
 *
 * A state file is written to a temporary name, its size recorded in a `.meta`
 * file, then the state renamed into place; a state whose size differs from the record
 * (truncated, replaced) is deleted instead of being loaded.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findExecutable } from './children.js';

export interface VmStateFiles {
  key: string;
  /** The migration stream. */
  state: string;
  /** {"size": bytes of the state file} once the state is complete. */
  meta: string;
}

function statKey(p: string | null): string {
  if (!p) return 'missing';
  try {
    const s = fs.statSync(p);
    return `${p}:${s.size}:${Math.floor(s.mtimeMs)}`;
  } catch {
    return `${p}:missing`;
  }
}

/**
 * The state files for this appliance, qemu and machine. `args` are qemu's
 * arguments without the drives; `sessionDir` (sockets, console log) is taken
 * out of them, and so are the boot-time timer hints that follow the host's
 * current CPU frequency (they only matter to a booting kernel).
 */
export function vmStateFiles(o: { applianceDir: string; qemu: string; args: string[]; sessionDir: string; drives: { readonly: boolean }[]; files?: string[] }): VmStateFiles {
  const h = crypto.createHash('sha256');
  h.update(`qemu ${statKey(findExecutable(o.qemu) ?? o.qemu)}\n`);
  // Files the guest reads from as it runs (the tools image): a rebuilt one is a new machine.
  for (const f of o.files ?? []) h.update(`file ${statKey(f)}\n`);
  for (const a of o.args) {
    const norm = a.split(o.sessionDir).join('@').replace(/ (tsc_early_khz|lpj)=\d+/g, '');
    h.update(`arg ${norm}\n`);
  }
  h.update(`drives ${o.drives.map((d) => (d.readonly ? 'ro' : 'rw')).join(',')}\n`);
  const key = h.digest('hex').slice(0, 16);
  const dir = path.join(o.applianceDir, 'vmstate');
  return { key, state: path.join(dir, `${key}.state`), meta: path.join(dir, `${key}.meta`) };
}

/** Why a saved state cannot be used (null: it can). A state that is not complete is removed. */
export function vmStateProblem(f: VmStateFiles): string | null {
  let size: number;
  try {
    size = fs.statSync(f.state).size;
  } catch {
    return 'no saved VM state';
  }
  let recorded: number | undefined;
  try {
    recorded = (JSON.parse(fs.readFileSync(f.meta, 'utf8')) as { size?: number }).size;
  } catch {
    // no record: unfinished or damaged
  }
  if (recorded === size && size > 0) return null;
  removeVmState(f);
  return recorded === undefined ? 'the saved VM state has no size record' : `the saved VM state is ${size} bytes, ${recorded} expected (truncated or replaced)`;
}

export function removeVmState(f: VmStateFiles): void {
  for (const p of [f.meta, f.state]) {
    try {
      fs.rmSync(p, { force: true });
    } catch {
      // a read-only cache: nothing to clean
    }
  }
}

/** Where a save in progress writes (renamed by commitVmState). */
export function vmStateTemp(f: VmStateFiles): string {
  fs.mkdirSync(path.dirname(f.state), { recursive: true, mode: 0o700 });
  return `${f.state}.${process.pid}.tmp`;
}

/** Moves a finished save into place and records its size. */
export function commitVmState(f: VmStateFiles, tmp: string): number {
  const size = fs.statSync(tmp).size;
  if (size === 0) throw new Error('qemu wrote an empty VM state');
  // The record first: a reader never sees a complete state without it.
  const metaTmp = `${f.meta}.${process.pid}.tmp`;
  fs.writeFileSync(metaTmp, JSON.stringify({ size }) + '\n');
  fs.renameSync(metaTmp, f.meta);
  fs.renameSync(tmp, f.state);
  return size;
}

/** A temporary save file older than this is left over from a save that did not finish. */
const STALE_SAVE_MS = 10 * 60_000;

/** How many saved states an appliance keeps (each ~90 MiB): the most recently used. */
export const KEEP_VM_STATES = 3;

/** Marks a state as used (its mtime), so that pruning keeps it. */
export function touchVmState(f: VmStateFiles): void {
  try {
    const now = new Date();
    fs.utimesSync(f.state, now, now);
  } catch {
    // a read-only cache
  }
}

/** Removes all but the KEEP_VM_STATES most recently used states of an appliance. */
export function pruneVmStates(f: VmStateFiles): void {
  const dir = path.dirname(f.state);
  let all: string[];
  try {
    all = fs.readdirSync(dir);
  } catch {
    return;
  }
  // Saves that never finished (qemu killed mid-way: its shell still renames what it got) go too,
  // once they are old enough not to be a save in progress.
  for (const n of all.filter((x) => /\.tmp(\.done)?$/.test(x))) {
    const p = path.join(dir, n);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > STALE_SAVE_MS) fs.rmSync(p, { force: true });
    } catch {
      // gone meanwhile
    }
  }
  const names = all.filter((n) => n.endsWith('.state'));
  const used = names
    .map((n) => {
      try {
        return { n, t: fs.statSync(path.join(dir, n)).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  for (const { n } of used.slice(KEEP_VM_STATES)) {
    const key = n.slice(0, -'.state'.length);
    removeVmState({ key, state: path.join(dir, n), meta: path.join(dir, `${key}.meta`) });
  }
}
