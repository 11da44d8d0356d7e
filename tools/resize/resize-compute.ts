/**
 * virt-resize's work: the new partition table, the boot loader and the
 * partitions copied with the block layer (sparse) into OUTDISK.tmp-XXXX,
 * then the content grown in the appliance (resize2fs, ntfsresize, pvresize,
 * mkswap; there is no in-process resizer), and the result moved over OUTDISK
 * in its format. Nothing is written to OUTDISK until all of that succeeded.
 */
import fs from 'node:fs';
import type { BlockDevice } from '../../src/block/block-device.js';
import { probeFormat } from '../../src/block/format.js';
import { isNbdUri } from '../../src/block/nbd/uri.js';
import { openDrive } from '../../src/block/open-drive.js';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { ErrnoError, NotSupportedError } from '../../src/errors/index.js';
import { createSparseFile, parseImageFormat, publishImage, tempNameBeside } from '../../src/imgtools/output-image.js';
import { MAX_BOOTLOADER, planResize, type Content, type PlannedPartition, type ResizePlan, type ResizeRequest } from '../../src/imgtools/resize-plan.js';
import { readResizeSource, type ResizeSource } from '../../src/imgtools/resize-source.js';
import { setBootable, setDiskGuid, setGptAttributes, setGptGuid, setGptType, setMbrId, setPartName } from '../../src/partition/partition-editor.js';
import { addPartition, initPartitionTable } from '../../src/partition/partition-writer.js';
import { isAllZero } from '../../src/util/all-zero.js';
import type { ProgressCallback } from '../common/progress-bar.js';
import type { MessageSink } from '../common/timed-messages.js';

export interface ResizeOptions extends Omit<ResizeRequest, 'expandable'> {
  input: string;
  output: string;
  format?: string;
  outputFormat?: string;
  lvExpand: string[];
  dryRun: boolean;
  ntfsresizeForce: boolean;
  copyBootLoader: boolean;
  sparse: boolean;
  unknownFilesystems: 'ignore' | 'warn' | 'error';
  backend: 'auto' | 'wasm' | 'appliance';
  message: MessageSink;
  /** Bytes copied of the current partition (and of the qcow2 conversion). */
  progress?: ProgressCallback;
  /** The summary block (printed unless -q). */
  summary: (plan: ResizePlan) => void;
  warn: (text: string) => void;
  verbose?: (line: string) => void;
  trace?: (g: Guestfs) => void;
}

/** The method that grows each content type (all in the appliance); undefined: none. */
function expandMethod(c: Content): string | undefined {
  if (c.kind === 'pv') return 'pvresize';
  if (c.kind === 'swap') return 'mkswap';
  if (c.kind !== 'fs') return undefined;
  if (/^ext[234]$/.test(c.fstype)) return 'resize2fs';
  if (c.fstype === 'ntfs') return 'ntfsresize';
  if (c.fstype === 'btrfs') return 'btrfs-filesystem-resize';
  if (c.fstype === 'xfs') return 'xfs_growfs';
  if (c.fstype === 'f2fs') return 'resize.f2fs';
  return undefined;
}

const CHUNK = 1 << 20;

/** Copies `length` bytes from `src` at `from` to `dst` at `to`; all-zero chunks are skipped when sparse (dst is new). */
async function copyRange(src: BlockDevice, from: number, dst: BlockDevice, to: number, length: number, sparse: boolean, progress?: ProgressCallback): Promise<void> {
  const buf = new Uint8Array(CHUNK);
  progress?.(0, length);
  for (let done = 0; done < length; done += CHUNK) {
    const n = Math.min(CHUNK, length - done);
    const extents = await src.extents(from + done, n);
    if (!(sparse && extents.every((e) => e.zero))) {
      const part = buf.subarray(0, n);
      await src.readInto(from + done, part);
      if (!sparse || !isAllZero(part)) await dst.write(to + done, part);
    }
    progress?.(done + n, length);
  }
}

async function writeTable(src: BlockDevice, dst: RawFileDevice, source: ResizeSource, plan: ResizePlan, o: ResizeOptions): Promise<void> {
  await initPartitionTable(dst, source.tableType);
  if (source.diskGuid) await setDiskGuid(dst, source.diskGuid);
  if (o.copyBootLoader) {
    await dst.write(0, await src.read(0, 446));
    const start = source.tableType === 'gpt' ? 17408 : 512;
    await copyRange(src, start, dst, start, Math.min(MAX_BOOTLOADER, src.size - start, dst.size - start), o.sparse);
  }
  for (const p of plan.partitions) {
    await addPartition(dst, 'primary', p.targetStart, p.targetEnd, p.gptName || 'primary');
    if (p.extra) continue;
    if (p.bootable) await setBootable(dst, p.targetNumber, true);
    if (source.tableType === 'gpt') {
      await setPartName(dst, p.targetNumber, p.gptName ?? '');
      if (p.gptGuid) await setGptGuid(dst, p.targetNumber, p.gptGuid);
      if (p.gptAttributes !== undefined) await setGptAttributes(dst, p.targetNumber, p.gptAttributes);
      if (p.gptType) await setGptType(dst, p.targetNumber, p.gptType);
    } else if (p.mbrId !== undefined) {
      await setMbrId(dst, p.targetNumber, p.mbrId);
    }
  }
}

async function copyPartitions(src: BlockDevice, dst: RawFileDevice, plan: ResizePlan, o: ResizeOptions): Promise<void> {
  for (const p of plan.partitions) {
    if (p.extra || (p.operation.op !== 'copy' && p.operation.op !== 'resize')) continue;
    o.message(`Copying ${p.name}`);
    const newSize = p.operation.op === 'resize' ? p.operation.size : p.size;
    await copyRange(src, p.start, dst, p.targetStart * 512, Math.min(p.size, newSize), o.sparse, o.progress);
  }
  const first = plan.partitions[0];
  if (plan.alignFirstAndFixBootloader && first?.content.kind === 'fs' && first.content.fstype === 'ntfs' && first.bootable) {
    const at = first.targetStart * 512;
    if (Buffer.from(await dst.read(at + 3, 8)).toString('latin1') !== 'NTFS    ') {
      o.warn('first partition is NTFS but does not contain NTFS boot loader magic');
    } else {
      o.message('Fixing first NTFS partition boot record');
      const hidden = new Uint8Array(4);
      new DataView(hidden.buffer).setUint32(0, first.targetStart, true);
      await dst.write(at + 0x1c, hidden);
    }
  }
}

interface Growth {
  source: string;
  target: string;
  method: string;
}

function growthsOf(plan: ResizePlan, o: ResizeOptions): Growth[] {
  if (!o.expandContent) return [];
  return plan.partitions.flatMap((p: PlannedPartition) => {
    const method = p.operation.op === 'resize' ? expandMethod(p.content) : undefined;
    return method ? [{ source: p.name, target: `/dev/sda${p.targetNumber}`, method }] : [];
  });
}

async function growContent(g: Guestfs, dev: string, method: string, o: ResizeOptions): Promise<void> {
  if (method === 'resize2fs') await g.resize2fs(dev);
  else if (method === 'ntfsresize') await g.ntfsresize(dev, o.ntfsresizeForce ? { force: true } : {});
  else if (method === 'pvresize') await g.pvresize(dev);
  else if (method === 'resize.f2fs') await g.f2fsExpand(dev);
  else if (method === 'btrfs-filesystem-resize' || method === 'xfs_growfs') {
    // btrfs and xfs grow only while mounted, as virt-resize does it.
    await g.mount(dev, '/');
    if (method === 'xfs_growfs') await g.xfsGrowfs('/');
    else await g.btrfsFilesystemResize('/');
    await g.umount('/');
  }
  else if (method === 'mkswap') {
    // The same label and UUID, as the guest's fstab may name either.
    const uuid = (await g.vfsUuid(dev)) as string;
    const label = (await g.vfsLabel(dev)) as string;
    await g.mkswap(dev, { label, ...(uuid ? { uuid } : {}) });
    const now = (await g.vfsUuid(dev)) as string;
    if (now !== uuid) o.warn(`UUID in swap partition ${dev} changed from ‘${uuid}’ to ‘${now}’`);
  }
}

async function growInAppliance(file: string, growths: Growth[], o: ResizeOptions): Promise<void> {
  const g = new Guestfs({ backend: 'appliance', needs: { writes: true }, log: o.verbose });
  o.trace?.(g);
  g.addDrive(file, { format: 'raw' });
  try {
    await g.launch();
    for (const x of growths) {
      o.message(`Expanding ${x.source}${x.source !== x.target ? ` (now ${x.target})` : ''} using the ‘${x.method}’ method`);
      o.progress?.(0, 0); // the appliance reports no position: the bar pulses while it works
      await growContent(g, x.target, x.method, o);
    }
    for (const lv of o.lvExpand) {
      const type = (await g.vfsType(lv)) as string;
      const method = expandMethod(type === 'swap' ? { kind: 'swap' } : { kind: 'fs', fstype: type, size: 0 });
      if (!method) {
        o.warn(`unknown/unavailable method for expanding the ${type} filesystem on ${lv}`);
        continue;
      }
      o.message(`Expanding ${lv} using the ‘${method}’ method`);
      o.progress?.(0, 0);
      await g.lvresizeFree(lv, 100);
      await growContent(g, lv, method, o);
    }
    await g.shutdown();
  } finally {
    await g.close();
  }
}

export async function resize(o: ResizeOptions): Promise<ResizePlan> {
  o.message(`Examining ${o.input}`);
  if (!isNbdUri(o.output) && !fs.existsSync(o.output)) {
    throw new ErrnoError('ENOENT', `${o.output}: the output disk must exist: create it first (e.g. qemu-img create -f raw ${o.output} 10G)`);
  }
  const outFormat = parseImageFormat(o.outputFormat ?? (isNbdUri(o.output) ? 'raw' : await probeFormat(o.output)));
  if (isNbdUri(o.output)) throw new ErrnoError('ENOTSUP', `${o.output}: resize writes an image file, not an NBD export`);
  const src = await openDrive({ file: o.input, format: o.format, readOnly: true });
  try {
    const out = await openDrive({ file: o.output, format: outFormat, readOnly: true });
    const outSize = out.size;
    await out.close();
    if (src.size < MAX_BOOTLOADER) throw new ErrnoError('EINVAL', `${o.input}: file is too small to be a disk image (${src.size} bytes)`);
    if (outSize < MAX_BOOTLOADER) throw new ErrnoError('EINVAL', `${o.output}: file is too small to be a disk image (${outSize} bytes)`);
    const source = await readResizeSource(src, o.input);
    const plan = planResize(o.input, source.partitions, outSize, { ...o, expandable: expandMethod });
    if (o.unknownFilesystems === 'error') {
      for (const p of plan.partitions) {
        if (p.operation.op === 'resize' && o.expandContent && !expandMethod(p.content) && p.content.kind === 'fs') {
          throw new ErrnoError('ENOTSUP', `unknown/unavailable method for expanding the ${p.content.fstype} filesystem on ${p.name}`);
        }
      }
    }
    if (o.unknownFilesystems !== 'ignore') for (const w of plan.warnings) o.warn(w);
    o.summary(plan);
    if (o.dryRun) return plan;
    const growths = growthsOf(plan, o);
    if ((growths.length || o.lvExpand.length) && o.backend === 'wasm') {
      const what = growths.length ? `expanding ${growths.map((x) => `${x.source} (${x.method})`).join(', ')}` : '--lv-expand';
      throw new NotSupportedError(`resize: ${what}`, 'wasm');
    }
    o.message(`Setting up initial partition table on ${o.output}`);
    const tmp = tempNameBeside(o.output);
    try {
      await createSparseFile(tmp, outSize);
      const dst = await RawFileDevice.open(tmp, { readOnly: false });
      try {
        await writeTable(src, dst, source, plan, o);
        await copyPartitions(src, dst, plan, o);
        await dst.flush();
      } finally {
        await dst.close();
      }
      if (growths.length || o.lvExpand.length) await growInAppliance(tmp, growths, o);
      await publishImage(tmp, o.output, outFormat, o.progress);
    } catch (e) {
      await fs.promises.unlink(tmp).catch(() => {});
      throw e;
    }
    return plan;
  } finally {
    await src.close();
  }
}
