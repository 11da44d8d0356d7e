/**
 * guestfish's prepared disks (`-N [filename=]type[:param...]`): a new sparse
 * disk file, added as a drive, then partitioned, formatted or given LVM after
 * launch, all through the command table (so each step runs on whichever
 * backend serves it: part-disk on either, mkfs and LVM on the appliance).
 */
import { resolve } from 'node:path';
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError } from '../errors/index.js';
import { createDiskFile, parseSize } from './local-disk.js';

export interface PreparedParam {
  name: string;
  default: string;
  desc: string;
}

export interface PreparedType {
  name: string;
  shortdesc: string;
  longdesc: string;
  params: readonly PreparedParam[];
  /** The commands its steps call (so that --backend=auto picks a backend that has them). */
  commands: readonly string[];
  /** The steps after launch, on the drive DEVICE, with the parameters by name. */
  build(g: Guestfs, device: string, p: Record<string, string>, fail: (what: string, e?: unknown) => never): Promise<void>;
}

const SIZE = { name: 'size', default: '1G', desc: 'the size of the disk image' };
const PARTITION = { name: 'partition', default: 'mbr', desc: 'partition table type' };
const FILESYSTEM = { name: 'filesystem', default: 'ext2', desc: 'the type of filesystem to use' };
const LV_NAME = { name: 'name', default: '/dev/VG/LV', desc: 'the name of the VG and LV to use' };
const BOOTFS = { name: 'bootfs', default: 'ext2', desc: 'the type of filesystem to use for boot' };
const ROOTFS = { name: 'rootfs', default: 'ext2', desc: 'the type of filesystem to use for root' };
const BOOTSIZE = { name: 'bootsize', default: '128M', desc: 'the size of the boot filesystem' };

/** "/dev/VG/LV" (or "VG/LV") split into its volume group and logical volume. */
export function splitLvName(name: string): [string, string] | undefined {
  const rest = name.startsWith('/dev/') ? name.slice(5) : name;
  const slash = rest.indexOf('/');
  return slash < 0 ? undefined : [rest.slice(0, slash), rest.slice(slash + 1)];
}

type Fail = (what: string, e?: unknown) => never;

async function step(fail: Fail, what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    fail(what, e);
  }
}

/** One partition filling the disk. */
const partitioned = (g: Guestfs, device: string, table: string, fail: Fail) =>
  step(fail, 'failed to partition disk', () => g.call('part-disk', [device, table]));

/** PV on PART, a VG and the largest LV on it. */
async function logicalVolume(g: Guestfs, part: string, lvName: string, fail: Fail): Promise<void> {
  const [vg, lv] = splitLvName(lvName)!;
  await step(fail, `failed to create PV: ${part}`, () => g.call('pvcreate', [part]));
  await step(fail, `failed to create VG: ${vg}`, () => g.call('vgcreate', [vg, [part]]));
  await step(fail, `failed to create LV: /dev/${vg}/${lv}`, () => g.call('lvcreate-free', [lv, vg, 100]));
}

/** A boot partition of BOOTSIZE from sector 64, then a root partition to 64 sectors before the end. */
async function bootAndRoot(g: Guestfs, device: string, p: Record<string, string>, fail: Fail): Promise<void> {
  let bootsize: number;
  try {
    bootsize = parseSize(p.bootsize!);
  } catch {
    fail('could not parse boot size');
  }
  const sector = Number(await g.call('blockdev-getss', [device]).catch((e: unknown) => fail('failed to get sector size of disk', e)));
  await step(fail, 'failed to partition disk', () => g.call('part-init', [device, p.partition!]));
  const lastBoot = 64 + Math.floor(bootsize / sector) - 1;
  await step(fail, 'failed to add boot partition', () => g.call('part-add', [device, 'primary', 64, lastBoot]));
  await step(fail, 'failed to add root partition', () => g.call('part-add', [device, 'primary', lastBoot + 1, -64]));
  await step(fail, 'failed to create boot filesystem', () => g.call('mkfs', [p.bootfs!, `${device}1`]));
}

export const PREPARED_TYPES: readonly PreparedType[] = [
  {
    name: 'disk',
    shortdesc: 'create a blank disk',
    longdesc: 'A blank disk of the given size (1G unless told), sparse, with nothing on it.',
    params: [SIZE],
    commands: [],
    build: async () => {},
  },
  {
    name: 'part',
    shortdesc: 'create a partitioned disk',
    longdesc: `A disk (1G unless told) holding one partition that fills it, in an MBR
partition table unless another type (gpt) is given.`,
    params: [SIZE, PARTITION],
    commands: ['part-disk'],
    build: (g, device, p, fail) => partitioned(g, device, p.partition!, fail),
  },
  {
    name: 'fs',
    shortdesc: 'create a filesystem',
    longdesc: `A disk (1G unless told) with one partition holding an empty filesystem:
ext2 in an MBR partition table unless other types are given.`,
    params: [FILESYSTEM, SIZE, PARTITION],
    commands: ['part-disk', 'mkfs'],
    build: async (g, device, p, fail) => {
      await partitioned(g, device, p.partition!, fail);
      await step(fail, `failed to create filesystem (${p.filesystem})`, () => g.call('mkfs', [p.filesystem!, `${device}1`]));
    },
  },
  {
    name: 'lv',
    shortdesc: 'create a disk with logical volume',
    longdesc: `A disk (1G unless told) with one partition made an LVM2 physical volume,
holding a volume group with one logical volume that takes all its space, named
/dev/VG/LV unless another name is given. No filesystem: see 'lvfs'.`,
    params: [LV_NAME, SIZE, PARTITION],
    commands: ['part-disk', 'pvcreate', 'vgcreate', 'lvcreate-free'],
    build: async (g, device, p, fail) => {
      await partitioned(g, device, p.partition!, fail);
      await logicalVolume(g, `${device}1`, p.name!, fail);
    },
  },
  {
    name: 'lvfs',
    shortdesc: 'create a disk with logical volume and filesystem',
    longdesc: `As 'lv', with a filesystem (ext2 unless told) on the logical volume.`,
    params: [LV_NAME, FILESYSTEM, SIZE, PARTITION],
    commands: ['part-disk', 'pvcreate', 'vgcreate', 'lvcreate-free', 'mkfs'],
    build: async (g, device, p, fail) => {
      await partitioned(g, device, p.partition!, fail);
      await logicalVolume(g, `${device}1`, p.name!, fail);
      await step(fail, `failed to create filesystem (${p.filesystem})`, () => g.call('mkfs', [p.filesystem!, p.name!]));
    },
  },
  {
    name: 'bootroot',
    shortdesc: 'create a boot and root filesystem',
    longdesc: `A disk (1G unless told) with two partitions: a boot partition of bootsize
and a root partition in the rest, each with its own filesystem.`,
    params: [BOOTFS, ROOTFS, SIZE, BOOTSIZE, PARTITION],
    commands: ['blockdev-getss', 'part-init', 'part-add', 'mkfs'],
    build: async (g, device, p, fail) => {
      await bootAndRoot(g, device, p, fail);
      await step(fail, 'failed to create root filesystem', () => g.call('mkfs', [p.rootfs!, `${device}2`]));
    },
  },
  {
    name: 'bootrootlv',
    shortdesc: 'create a boot and root filesystem using LVM',
    longdesc: `As 'bootroot', but the root filesystem is on a logical volume (named
/dev/VG/LV unless told) that fills the second partition.`,
    params: [{ ...LV_NAME, desc: 'the name of the VG and LV for root' }, BOOTFS, ROOTFS, SIZE, BOOTSIZE, PARTITION],
    commands: ['blockdev-getss', 'part-init', 'part-add', 'mkfs', 'pvcreate', 'vgcreate', 'lvcreate-free'],
    build: async (g, device, p, fail) => {
      await bootAndRoot(g, device, p, fail);
      await logicalVolume(g, `${device}2`, p.name!, fail);
      await step(fail, 'failed to create root filesystem', () => g.call('mkfs', [p.rootfs!, p.name!]));
    },
  },
];

/** One -N: the file, its type and parameters (defaults filled in), and the spec as written (for messages). */
export interface PreparedDisk {
  file: string;
  type: PreparedType;
  params: Record<string, string>;
  spec: string;
}

/** `-N help` (also list, h, ?), asking for the list instead of a disk. */
export const isPreparedHelp = (spec: string) => ['list', 'help', 'h', '?'].includes(spec.toLowerCase());

/**
 * Parses `[filename=]type[:param...]`; `n` numbers the default name testN.img.
 * As guestfish, the type may be abbreviated (the first type it begins matches).
 */
export function parsePreparedSpec(arg: string, n: number): PreparedDisk {
  const eq = arg.indexOf('=');
  const file = eq >= 0 ? arg.slice(0, eq) : `test${n}.img`;
  const spec = eq >= 0 ? arg.slice(eq + 1) : arg;
  const [typeName, ...values] = spec.split(':');
  const type = PREPARED_TYPES.find((t) => typeName!.length > 0 && t.name.toLowerCase().startsWith(typeName!.toLowerCase()));
  if (!type) {
    throw new GuestkitError('EINVAL', `-N parameter ‘${spec}’: no such prepared disk image known.\nUse 'guestkit fish -N help' to list possible values for the -N parameter.`);
  }
  const disk: PreparedDisk = { file, type, params: {}, spec };
  if (values.length > type.params.length) throw preparedError(disk, `too many parameters (${type.name} takes ${type.params.length})`);
  type.params.forEach((p, i) => { disk.params[p.name] = values[i] ?? p.default; });
  if (disk.params.name !== undefined && !splitLvName(disk.params.name)) throw preparedError(disk, "incorrect format for LV name, use '/dev/VG/LV'");
  return disk;
}

function preparedError(disk: PreparedDisk, what: string, cause?: unknown): GuestkitError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new GuestkitError(cause instanceof GuestkitError ? cause.code : 'EINVAL', `error creating prepared disk image ‘${disk.spec}’ on ‘${disk.file}’: ${what}${why}`, { cause });
}

/** Before launch: the sparse file (an existing one is overwritten, as guestfish does). */
export async function createPreparedFile(disk: PreparedDisk, dir: string): Promise<string> {
  const path = resolve(dir, disk.file);
  let size: number;
  try {
    size = parseSize(disk.params.size!);
  } catch (e) {
    throw preparedError(disk, 'failed to allocate disk', e);
  }
  await createDiskFile(path, size, 'sparse').catch((e: unknown) => { throw preparedError(disk, 'failed to allocate disk', e); });
  return path;
}

/** After launch: partitions, LVM and filesystems on DEVICE. */
export function buildPreparedDisk(g: Guestfs, disk: PreparedDisk, device: string): Promise<void> {
  return disk.type.build(g, device, disk.params, (what, e) => { throw preparedError(disk, what, e); });
}

/** What `-N help` prints. */
export function preparedHelp(): string {
  const out = ['List of available prepared disk images:\n\n'];
  for (const t of PREPARED_TYPES) {
    out.push(`guestkit fish -N ${t.name.padEnd(8)} - ${t.shortdesc}\n\n`);
    out.push(t.longdesc.split('\n').map((l) => `  ${l}\n`).join(''));
    if (t.params.length > 0) {
      out.push('\n  Optional parameters:\n');
      out.push(`    -N ${t.name}${t.params.map((p) => `:<${p.name}>`).join('')}\n`);
      for (const p of t.params) out.push(`      <${p.name}> ${p.desc} (default: ${p.default})\n`);
    }
    out.push('\n');
  }
  out.push(`Prepared disk images are written to file "test1.img" in the local
directory.  ("test2.img" etc if -N option is given multiple times).
You can override the name by providing a filename before the type, eg:

  guestkit fish -N blank.img=fs

For more information see the README's guestkit fish section.
`);
  return out.join('');
}
