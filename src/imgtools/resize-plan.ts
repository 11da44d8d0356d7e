/**
 * virt-resize's plan: the source's primary partitions and what they hold,
 * the operation on each (copy, ignore, delete, resize) from the options, the
 * surplus the target leaves, and where each partition lands on the target.
 * Pure computation over facts read from the source; nothing is written.
 */
import { ErrnoError } from '../errors/index.js';
import { humanSize } from './human-size.js';
import { parseResize } from './resize-size.js';

const SECTOR = 512;
/** The boot loader area virt-resize copies and keeps free before the first partition. */
export const MAX_BOOTLOADER = 4096 * 512;
/** Below this surplus no extra partition is made. */
const MIN_EXTRA_PARTITION = 10 * 1024 * 1024;

export type Content =
  | { kind: 'unknown' }
  | { kind: 'pv'; size: number }
  | { kind: 'fs'; fstype: string; size: number }
  | { kind: 'extended' }
  | { kind: 'swap' };

export type Operation = { op: 'copy' } | { op: 'ignore' } | { op: 'delete' } | { op: 'resize'; size: number };

export interface SourcePartition {
  name: string;
  number: number;
  start: number;
  size: number;
  bootable: boolean;
  mbrId?: number;
  gptType?: string;
  gptGuid?: string;
  gptName?: string;
  gptAttributes?: number;
  content: Content;
}

export interface PlannedPartition extends SourcePartition {
  operation: Operation;
  /** Target partition number and sectors (end inclusive; negative end: from the disk's end). */
  targetNumber: number;
  targetStart: number;
  targetEnd: number;
  /** The surplus partition (no source). */
  extra?: boolean;
}

export interface ResizeRequest {
  expand?: string;
  shrink?: string;
  resize: string[];
  resizeForce: string[];
  ignore: string[];
  delete: string[];
  alignment: number;
  alignFirst: 'never' | 'always' | 'auto';
  extraPartition: boolean;
  expandContent: boolean;
  /** Content types the chosen backend can grow. */
  expandable: (c: Content) => string | undefined;
}

export interface ResizePlan {
  partitions: PlannedPartition[];
  surplus: number;
  /** The summary's lines (without the program prefix), in order. */
  summary: string[];
  /** Warnings printed while summarising. */
  warnings: string[];
  alignFirstAndFixBootloader: boolean;
}

export function contentName(c: Content): string {
  switch (c.kind) {
    case 'unknown': return 'unknown data';
    case 'pv': return 'LVM PV';
    case 'fs': return `filesystem ${c.fstype}`;
    case 'extended': return 'extended partition';
    case 'swap': return 'swap';
  }
}

function canonical(name: string): string {
  const n = name.startsWith('/dev/') ? name : `/dev/${name}`;
  return n.replace(/^\/dev\/(?:hd|vd|xvd)([a-z])/, '/dev/sd$1');
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

export function planResize(inDisk: string, source: readonly SourcePartition[], outSize: number, req: ResizeRequest): ResizePlan {
  if (source.length === 0) throw new ErrnoError('EINVAL', 'the source disk has no partitions');
  if (req.alignment < 1) throw new ErrnoError('EINVAL', 'alignment cannot be < 1');
  for (const p of source) {
    if (p.content.kind === 'pv' && p.size < p.content.size) throw new ErrnoError('EINVAL', `${p.name}: partition size ${p.size} < physical volume size ${p.content.size}`);
    if (p.content.kind === 'fs' && p.size < p.content.size) throw new ErrnoError('EINVAL', `${p.name}: partition size ${p.size} < filesystem size ${p.content.size}`);
  }
  let endOfPrev = 0;
  for (const p of source) {
    if (endOfPrev > p.start) throw new ErrnoError('EINVAL', `${p.name}: this partition overlaps the previous one`);
    endOfPrev = p.start + p.size - 1;
  }
  const parts: PlannedPartition[] = source.map((p) => ({ ...p, operation: { op: 'copy' }, targetNumber: 0, targetStart: 0, targetEnd: 0 }));

  const find = (option: string, name: string): PlannedPartition => {
    const dev = canonical(name);
    const p = parts.find((x) => x.name === dev);
    if (!p) {
      throw new ErrnoError('ENOENT', `${dev}: partition not found in the source disk image (this error came from ‘${option}’ option on the command line).  Try running this command: virt-filesystems --partitions --long -a ${inDisk}`);
    }
    if (p.operation.op === 'ignore') throw new ErrnoError('EINVAL', `${dev}: partition already ignored, you cannot use it in ‘${option}’ option`);
    if (p.operation.op === 'delete') throw new ErrnoError('EINVAL', `${dev}: partition already deleted, you cannot use it in ‘${option}’ option`);
    return p;
  };
  for (const d of req.ignore) find('--ignore', d).operation = { op: 'ignore' };
  for (const d of req.delete) find('--delete', d).operation = { op: 'delete' };

  const markResize = (option: string, p: PlannedPartition, newSize: number, force = false) => {
    if (p.operation.op === 'resize') throw new ErrnoError('EINVAL', `${p.name}: this partition has already been marked for resizing`);
    if (p.size === newSize) return;
    if (newSize < p.size && !force) {
      const tail = `If you want to shrink this partition, you need to use the ‘--resize-force’ option, but that could destroy any data on this partition.  (This error came from ‘${option}’ option on the command line.)`;
      const c = p.content;
      if (c.kind === 'unknown') throw new ErrnoError('EINVAL', `${p.name}: This partition has unknown content which might be damaged by shrinking it.  ${tail}`);
      if (c.kind === 'pv' && c.size > newSize) throw new ErrnoError('EINVAL', `${p.name}: This partition contains an LVM physical volume which will be damaged by shrinking it below ${c.size} bytes (user asked to shrink it to ${newSize} bytes).  ${tail}`);
      if (c.kind === 'fs' && c.size > newSize) throw new ErrnoError('EINVAL', `${p.name}: This partition contains a ${c.fstype} filesystem which will be damaged by shrinking it below ${c.size} bytes (user asked to shrink it to ${newSize} bytes).  ${tail}`);
      if (c.kind === 'extended') throw new ErrnoError('EINVAL', `${p.name}: This extended partition contains logical partitions which might be damaged by shrinking it.  If you want to shrink this partition, you need to use the ‘--resize-force’ option, but that could destroy logical partitions within this partition.  (This error came from ‘${option}’ option on the command line.)`);
    }
    p.operation = { op: 'resize', size: newSize };
  };
  const doResize = (option: string, arg: string, force: boolean) => {
    const i = arg.indexOf('=');
    if (i < 0 || i === arg.length - 1) throw new ErrnoError('EINVAL', `${arg}: missing size field in ‘${option}’ option`);
    const p = find(option, arg.slice(0, i));
    const newSize = parseResize(p.size, arg.slice(i + 1));
    if (newSize <= 0) throw new ErrnoError('EINVAL', `${arg.slice(0, i)}: new partition size is zero or negative`);
    markResize(option, p, newSize, force);
  };
  for (const r of req.resize) doResize('--resize', r, false);
  for (const r of req.resizeForce) doResize('--resize-force', r, true);

  const surplusNow = (): number => {
    const startOverhead = Math.max(64, MAX_BOOTLOADER / 512, Math.floor(parts[0]!.start / SECTOR));
    const overhead = SECTOR * (startOverhead + req.alignment * (parts.length + 1) + 64);
    const required = parts.reduce((t, p) => t + (p.operation.op === 'delete' ? 0 : p.operation.op === 'resize' ? p.operation.size : p.size), 0);
    return outSize - (required + overhead);
  };
  if (req.expand !== undefined && req.shrink !== undefined) throw new ErrnoError('EINVAL', 'you cannot use options --expand and --shrink together');
  if (req.expand !== undefined) {
    const s = surplusNow();
    if (s < 0) throw new ErrnoError('EINVAL', `You cannot use --expand when there is no surplus space to expand into.  You need to make the target disk larger by at least ${humanSize(-s)}.`);
    const p = find('--expand', req.expand);
    markResize('--expand', p, p.size + s);
  }
  if (req.shrink !== undefined) {
    const s = surplusNow();
    if (s > 0) throw new ErrnoError('EINVAL', 'You cannot use --shrink when there is no deficit (see ‘deficit’ in the virt-resize(1) man page).');
    const p = find('--shrink', req.shrink);
    markResize('--shrink', p, p.size + s);
  }
  const surplus = surplusNow();
  if (surplus < 0) {
    throw new ErrnoError('ENOSPC', `There is a deficit of ${-surplus} bytes (${humanSize(-surplus)}).  You need to make the target disk larger by at least this amount or adjust your resizing requests.`);
  }

  const summary: string[] = [];
  const warnings: string[] = [];
  for (const p of parts) {
    const o = p.operation;
    if (o.op === 'copy') summary.push(`${p.name}: This partition will be left alone.`);
    else if (o.op === 'ignore') summary.push(`${p.name}: This partition will be created, but the contents will be ignored (ie. not copied to the target).`);
    else if (o.op === 'delete') summary.push(`${p.name}: This partition will be deleted.`);
    else {
      const how = req.expandContent ? req.expandable(p.content) : undefined;
      if (!how && req.expandContent && p.content.kind === 'fs') warnings.push(`unknown/unavailable method for expanding the ${p.content.fstype} filesystem on ${p.name}`);
      summary.push(`${p.name}: This partition will be resized from ${humanSize(p.size)} to ${humanSize(o.size)}.${how ? `  The ${contentName(p.content)} on ${p.name} will be expanded using the ‘${how}’ method.` : ''}`);
    }
  }
  if (surplus > 0) {
    const tail = !req.extraPartition
      ? '  The surplus space will be ignored.  Run a partitioning program in the guest to partition this extra space if you want.'
      : surplus >= MIN_EXTRA_PARTITION
        ? '  An extra partition will be created for the surplus.'
        : '  The surplus space is not large enough for an extra partition to be created and so it will just be ignored.';
    summary.push(`There is a surplus of ${humanSize(surplus)}.${tail}`);
  }

  // Moving the first partition is only safe when its boot sector can be fixed (a lone bootable NTFS).
  const alignmentOf = (n: number): number => (n === 0 ? 64 : n % 2 === 1 ? 0 : 1 + alignmentOf(n / 2));
  const first = parts[0]!;
  const canFix = parts.length === 1 && first.content.kind === 'fs' && first.content.fstype === 'ntfs' && first.bootable && first.operation.op !== 'delete' && alignmentOf(first.start) < 12;
  const alignFirstAndFixBootloader = req.alignFirst === 'always' || (req.alignFirst === 'auto' && canFix);

  const placed: PlannedPartition[] = [];
  let start = alignFirstAndFixBootloader ? req.alignment : Math.floor(first.start / SECTOR);
  let num = 1;
  for (const p of parts) {
    if (p.operation.op === 'delete') continue;
    const sectors = Math.ceil((p.operation.op === 'resize' ? p.operation.size : p.size) / SECTOR);
    const next = roundUp(start + sectors, req.alignment);
    const end = p.operation.op === 'resize' ? next - 1 : start + sectors - 1;
    placed.push({ ...p, targetNumber: num++, targetStart: start, targetEnd: end });
    start = next;
  }
  if (req.extraPartition && surplus >= MIN_EXTRA_PARTITION) {
    placed.push({
      name: '', number: 0, start: 0, size: 0, bootable: false, content: { kind: 'unknown' },
      operation: { op: 'ignore' }, targetNumber: num, targetStart: start, targetEnd: -64, extra: true,
    });
  }
  return { partitions: placed, surplus, summary, warnings, alignFirstAndFixBootloader };
}
