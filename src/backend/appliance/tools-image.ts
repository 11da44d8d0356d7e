/**
 * The appliance's tools image: the programs, their shared libraries and the
 * kernel modules loaded on demand, in a read-only ext4 image that the guest's
 * /init mounts on /usr. The initramfs keeps only what booting and the agent
 * need (busybox, the agent, the boot modules), so the kernel unpacks a few MiB
 * instead of tens, and the pages of a program are read from the image when it
 * first runs.
 *
 * The image is built without root (mke2fs -d from a staging directory) beside
 * the initramfs, under the same input hash. qemu attaches it read-only as a
 * SCSI disk (virtio-scsi): the user's drives are the virtio-blk disks /dev/vd*,
 * which keep their names and order; the tools disk is the guest's only /dev/sd*.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GuestkitError } from '../../errors/index.js';
import type { CpioEntry } from './cpio.js';
import { findExecutable } from './children.js';

/** Where the guest mounts the image; every file placed below it goes into the image. */
export const TOOLS_MOUNT = '/usr';

/** The image's file name in the appliance directory, and its record (size, mtime) written at build time. */
export const TOOLS_IMAGE = 'tools.img';
const TOOLS_RECORD = 'tools.key';

/** Inside the image (under TOOLS_MOUNT): the build's hash, which /init compares with the initramfs's copy. */
export const TOOLS_ID_PATH = `${TOOLS_MOUNT}/lib/guestkit/tools-id`;
/** Inside the initramfs: the hash the tools image must carry (its absence: no tools image). */
export const TOOLS_EXPECTED_PATH = '/etc/guestkit-tools';
/** Where the lazily loaded modules go in the image (the agent's needmod looks there). */
export const TOOLS_MODULES_DIR = `${TOOLS_MOUNT}/lib/guestkit/modules`;

function mke2fs(): string | null {
  return findExecutable('mke2fs', `${process.env.PATH ?? ''}:/usr/sbin:/sbin`);
}

/** Whether appliances are built with a tools image: mke2fs is there and GUESTKIT_APPLIANCE_TOOLS is not 0. */
export function toolsImageWanted(): boolean {
  return process.env.GUESTKIT_APPLIANCE_TOOLS !== '0' && mke2fs() !== null;
}

/** A library's path in the appliance: below /usr (where the image is) for /lib and /lib64 ones. */
export function toolsLibraryPath(lib: string): string {
  return /^\/lib(64)?\//.test(lib) ? `${TOOLS_MOUNT}${lib}` : lib;
}

/**
 * The links the initramfs needs so that /lib/... and /lib64/... paths (the
 * ELF interpreter, the loader's default directories) reach the image: one per
 * top-level name below /lib or /lib64 that the libraries use.
 */
export function toolsLibraryLinks(libs: string[]): { path: string; target: string }[] {
  const links = new Map<string, string>();
  for (const l of libs) {
    const m = /^(\/lib64|\/lib\/[^/]+)(\/|$)/.exec(l);
    if (m && m[1] !== '/lib/modules') links.set(m[1]!, `${TOOLS_MOUNT}${m[1]}`);
  }
  return [...links].sort().map(([p, target]) => ({ path: p, target }));
}

/** Splits the appliance's entries: those below TOOLS_MOUNT go into the image. */
export function splitToolsEntries(entries: CpioEntry[]): { initramfs: CpioEntry[]; tools: CpioEntry[] } {
  const initramfs: CpioEntry[] = [];
  const tools: CpioEntry[] = [];
  for (const e of entries) (e.path.startsWith(`${TOOLS_MOUNT}/`) ? tools : initramfs).push(e);
  return { initramfs, tools };
}

/**
 * Writes the tools entries into a staging directory, then an ext4 image of
 * it (no journal: it is only ever mounted read-only) sized to fit with a
 * little room; records the image's size and mtime. Returns the image's size.
 */
export function writeToolsImage(entries: CpioEntry[], dir: string): number {
  const stage = fs.mkdtempSync(path.join(dir, '.tools-'));
  const image = path.join(dir, TOOLS_IMAGE);
  try {
    let bytes = 0;
    const inside = (p: string) => path.join(stage, p.slice(TOOLS_MOUNT.length));
    for (const e of entries) {
      const dest = inside(e.path);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (e.kind === 'dir') fs.mkdirSync(dest, { recursive: true, mode: e.mode ?? 0o755 });
      else if (e.kind === 'symlink') fs.symlinkSync(e.target, dest);
      else if (e.kind === 'file') fs.writeFileSync(dest, e.data, { mode: e.mode ?? 0o644 });
      else if (e.kind === 'hostfile') {
        fs.copyFileSync(e.source, dest);
        fs.chmodSync(dest, e.mode ?? 0o755);
      } else throw new GuestkitError('EINVAL', `${e.path}: a device node cannot go into the tools image`);
      bytes += e.kind === 'file' ? e.data.length : e.kind === 'hostfile' ? fs.statSync(dest).size : 0;
    }
    // 4 KiB blocks: each file rounds up, plus metadata; 10% and 8 MiB of room.
    const blocks = Math.ceil(((bytes + entries.length * 4096) * 1.1 + 8 * 1048576) / 4096);
    const r = spawnSync(mke2fs()!, [
      '-q', '-F', '-t', 'ext4', '-b', '4096', '-m', '0', '-L', 'guestkit-tools',
      '-O', '^has_journal,^resize_inode', '-N', String(entries.length + 256),
      '-E', 'root_owner=0:0,lazy_itable_init=0', '-d', stage, image, String(blocks),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new GuestkitError('ECHILD_PROC', `mke2fs could not write the appliance's tools image: ${String(r.stderr).trim()}`);
    writeToolsRecord(dir);
    return fs.statSync(image).size;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

// Nanoseconds as integers: a float mtimeMs read back after utimes can differ in its last digit.
function toolsRecord(image: string): string {
  const s = fs.statSync(image, { bigint: true });
  return `${s.size} ${s.mtimeNs}\n`;
}

/** Records the tools image's size and mtime as they are now: what toolsImageProblem compares against. */
export function writeToolsRecord(dir: string): void {
  fs.writeFileSync(path.join(dir, TOOLS_RECORD), toolsRecord(path.join(dir, TOOLS_IMAGE)));
}

/** Why an appliance's tools image cannot be used (missing, truncated, replaced), or null. */
export function toolsImageProblem(dir: string): string | null {
  const image = path.join(dir, TOOLS_IMAGE);
  let recorded: string;
  try {
    recorded = fs.readFileSync(path.join(dir, TOOLS_RECORD), 'utf8');
  } catch {
    return `${image}: no build record`;
  }
  try {
    return toolsRecord(image) === recorded ? null : `${image}: changed since it was built (size or time)`;
  } catch {
    return `${image}: missing`;
  }
}

/**
 * qemu's arguments for the tools image: a read-only SCSI disk on its own
 * virtio-scsi controller, placed after every other device so that the user's
 * drives keep their slots.
 */
export function toolsDriveArgs(image: string): string[] {
  const esc = (s: string) => s.replace(/,/g, ',,');
  return [
    '-drive', `if=none,id=tools,file=${esc(image)},format=raw,readonly=on`,
    '-device', 'virtio-scsi-device,id=toolsbus',
    '-device', 'scsi-hd,bus=toolsbus.0,channel=0,scsi-id=0,lun=0,drive=tools',
  ];
}
