/**
 * virt-sparsify. Copy mode reads the source through a view in which the free
 * space it found reads as zeroes and copies it sparsely to a new raw or qcow2
 * file (in process: ext bitmaps, FAT tables, swap, --zero); what only the
 * appliance can zero (LVM, ntfs, xfs, btrfs) goes the upstream way: a qcow2 overlay
 * backed by the source, zero-free-space in the appliance, then the copy.
 * In-place mode punches the same ranges out of a raw file (fallocate), or
 * trims (fstrim, blkdiscard) in the appliance.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BlockDevice } from '../../src/block/block-device.js';
import { openDrive } from '../../src/block/open-drive.js';
import { probeFormat } from '../../src/block/format.js';
import { isNbdUri } from '../../src/block/nbd/uri.js';
import { createImage } from '../../src/block/qemu-img.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { ErrnoError, GuestkitError, NotSupportedError } from '../../src/errors/index.js';
import { rangesBytes } from '../../src/imgtools/free-space/byte-ranges.js';
import { runHostProgram } from '../../src/imgtools/host-program.js';
import { humanSize } from '../../src/imgtools/human-size.js';
import { parseByteSize } from '../../src/imgtools/make-fs-size.js';
import { planSparsify, type SparsifyPlan, type SparsifyStep } from '../../src/imgtools/sparsify-plan.js';
import { ZeroMaskDevice } from '../../src/imgtools/zero-mask-device.js';
import { copyDevice } from '../copy/copy-compute.js';
import { openQcow2FileTarget, openRawFileTarget, type CopyTarget, type Qcow2TargetOptions } from '../copy/copy-targets.js';
import type { ProgressCallback } from '../common/progress-bar.js';
import type { MessageSink } from '../common/timed-messages.js';

export type Backend = 'auto' | 'wasm' | 'appliance';
export type CheckTmpdir = 'ignore' | 'continue' | 'warn' | 'fail';

export interface SparsifyOptions {
  input: string;
  output?: string;
  inPlace: boolean;
  /** The input's format (--format), probed when absent. */
  format?: string;
  /** --convert: the output's format (default: the input's). */
  convert?: string;
  compress: boolean;
  /** -o: qcow2 creation options. */
  option?: string;
  ignore: string[];
  zero: string[];
  checkTmpdir: CheckTmpdir;
  tmp?: string;
  backend: Backend;
  message: MessageSink;
  /** Bytes copied (copy mode) or holes punched (in place) of the step's total. */
  progress?: ProgressCallback;
  warn: (text: string) => void;
  /** --check-tmpdir=warn after its warning: waits for RETURN (or fails on end of input). */
  confirm: () => Promise<void>;
  verbose?: (line: string) => void;
  trace?: (g: Guestfs) => void;
}

export interface SparsifyResult {
  route: 'in process' | 'appliance';
  /** Bytes the plan made read as zeroes (in-process route). */
  zeroedBytes: number;
}

function stepMessage(s: SparsifyStep, inPlace: boolean): string {
  if (s.action === 'zero') return `Zeroing ${s.device}`;
  if (s.action === 'swap') return `Clearing Linux swap on ${s.device}`;
  return inPlace ? `Trimming ${s.device}` : `Fill free space in ${s.device} with zero`;
}

/** Whether the plan is enough, or the appliance is needed (and allowed). */
function route(plan: SparsifyPlan, backend: Backend): SparsifyResult['route'] {
  if (backend === 'appliance') return 'appliance';
  if (plan.needsAppliance.length === 0) return 'in process';
  if (backend === 'wasm') throw new NotSupportedError(`sparsify: ${plan.needsAppliance.join(', ')}`, 'wasm');
  return 'appliance';
}

async function inputFormat(o: SparsifyOptions): Promise<string> {
  if (o.format) return o.format;
  return isNbdUri(o.input) ? 'raw' : probeFormat(o.input);
}

/**
 * -o, as qemu-img create reads it for qcow2: the options guestkit's qcow2 writer
 * honours (compat 1.1, cluster_size, compression_type=zlib); anything else is refused.
 */
export function qcow2CreateOptions(option: string): Qcow2TargetOptions {
  const out: Qcow2TargetOptions = {};
  for (const kv of option.split(',')) {
    const eq = kv.indexOf('=');
    const [k, v] = eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
    if (k === 'compat' && (v === '1.1' || v === 'v3')) continue;
    if (k === 'compression_type' && v === 'zlib') continue;
    if (k === 'cluster_size') {
      const n = parseByteSize(v);
      const bits = n === null ? -1 : Math.log2(n);
      if (!Number.isInteger(bits) || bits < 9 || bits > 21) throw new ErrnoError('EINVAL', `-o cluster_size=${v}: the cluster size must be a power of two between 512 and 2M`);
      out.clusterBits = bits;
      continue;
    }
    if (k === 'compression_type') throw new ErrnoError('ENOTSUP', `-o compression_type=${v}: guestkit's qcow2 writer compresses with zlib only`);
    throw new ErrnoError('ENOTSUP', `-o ${kv}: not supported by guestkit's qcow2 writer (it takes compat=1.1, cluster_size and compression_type=zlib)`);
  }
  return out;
}

/** Refuses --convert / -o / --compress combinations the writers cannot honour; the qcow2 writer's settings otherwise. */
function outputOptions(o: SparsifyOptions, format: string): Qcow2TargetOptions {
  const out = o.output!;
  if (format !== 'raw' && format !== 'qcow2') throw new ErrnoError('EINVAL', `${out}: output format ${format} not supported (use --convert raw or --convert qcow2)`);
  if (format === 'raw' && o.compress) throw new ErrnoError('EINVAL', '--compress cannot be used for raw output.  Remove this option or use --convert qcow2.');
  if (o.option !== undefined && format === 'raw') throw new ErrnoError('EINVAL', `-o ${o.option}: raw output takes no options`);
  if (path.resolve(out) === path.resolve(o.input)) throw new ErrnoError('EINVAL', 'input and output are the same file: use --in-place to sparsify a disk in place');
  return { ...(o.option !== undefined ? qcow2CreateOptions(o.option) : {}), compress: o.compress };
}

async function openOutput(o: SparsifyOptions, format: string, qcow2: Qcow2TargetOptions): Promise<CopyTarget> {
  const out = o.output!;
  return format === 'qcow2' ? openQcow2FileTarget(out, qcow2) : openRawFileTarget(out);
}

async function copyOut(src: BlockDevice, o: SparsifyOptions, format: string, qcow2: Qcow2TargetOptions): Promise<void> {
  o.message('Copy to destination and make sparse');
  const target = await openOutput(o, format, qcow2);
  try {
    await copyDevice(src, target, { allocated: false, noExtents: false, requests: 4, blockSize: 1 << 20, sparse: 4096, flush: true, onProgress: o.progress });
  } catch (e) {
    await target.abort();
    throw e;
  }
}

/** virt-sparsify's --check-tmpdir: the overlay may grow up to the virtual size. */
/** --check-tmpdir=fail found too little room: virt-sparsify exits with status 2. */
export class TmpdirCheckFailed extends GuestkitError {
  constructor() {
    super('ENOSPC', 'Exiting because --check-tmpdir=fail was set.');
  }
}

async function checkTmpdir(dir: string, virtualSize: number, o: SparsifyOptions): Promise<void> {
  if (o.checkTmpdir === 'ignore') return;
  const st = fs.statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (virtualSize <= free) return;
  o.warn(`There may not be enough free space on ${dir}.\nYou may need to set TMPDIR to point to a directory with more free space.\n\nMax needed: ${humanSize(virtualSize)}.  Free: ${humanSize(free)}.  May need another ${humanSize(virtualSize - free)}.\n\nNote this is an overestimate.  If the guest disk is full of data\nthen not as much free space would be required.\n\nYou can ignore this warning or change it to a hard failure using the\n--check-tmpdir=(ignore|continue|warn|fail) option.  See virt-sparsify(1).\n`);
  if (o.checkTmpdir === 'fail') throw new TmpdirCheckFailed();
  if (o.checkTmpdir === 'warn') await o.confirm();
}

function tmpPlace(o: SparsifyOptions): string {
  if (o.tmp === undefined) return process.env.TMPDIR || os.tmpdir();
  if (fs.existsSync(o.tmp) && fs.statSync(o.tmp).isDirectory()) return o.tmp;
  throw new ErrnoError('EINVAL', '--tmp parameter must point to a directory (guestkit does not take a block device or prebuilt file)');
}

/**
 * In the appliance, what virt-sparsify does to each filesystem, swap area,
 * --zero device and volume group's free space: copy mode writes zeroes (into
 * the overlay), in-place mode discards (trim) in the image itself.
 */
async function applianceSparsify(g: Guestfs, o: SparsifyOptions): Promise<void> {
  const discard = o.inPlace;
  // The appliance reports no position while it zeroes or trims: after each step's message the bar pulses.
  const step = (text: string) => {
    o.message(text);
    o.progress?.(0, 0);
  };
  const clear = async (dev: string) => (discard ? g.blkdiscard(dev) : g.zeroDevice(dev));
  for (const fs of Object.keys((await g.listFilesystems()) as Record<string, string>).sort()) {
    if (o.ignore.includes(fs)) continue;
    if (o.zero.includes(fs)) {
      step(`Zeroing ${fs}`);
      await g.zeroDevice(fs);
      if (discard) await g.blkdiscard(fs);
    } else if (await (discard ? g.mountOptions('discard', fs, '/') : g.mount(fs, '/')).then(() => true, () => false)) {
      step(discard ? `Trimming ${fs}` : `Fill free space in ${fs} with zero`);
      await (discard ? g.fstrim('/') : g.zeroFreeSpace('/'));
    } else if (await isSwapVia(g, fs)) {
      step(`Clearing Linux swap on ${fs}`);
      const header = (await g.preadDevice(fs, 4096, 0)) as Uint8Array;
      await clear(fs);
      await g.pwriteDevice(fs, header, 0);
    }
    await g.umountAll();
  }
  for (const vg of ((await g.vgs()) as string[]).slice().sort()) {
    if (o.ignore.includes(vg)) continue;
    const lv = `sparsify${Math.random().toString(36).slice(2, 10)}`;
    if (!(await g.lvcreateFree(lv, vg, 100).then(() => true, () => false))) continue;
    step(discard ? `Discard space in volgroup ${vg}` : `Fill free space in volgroup ${vg} with zero`);
    await clear(`/dev/${vg}/${lv}`);
    await g.sync();
    await g.lvremove(`/dev/${vg}/${lv}`);
  }
}

async function isSwapVia(g: Guestfs, fs: string): Promise<boolean> {
  try {
    return Buffer.from((await g.preadDevice(fs, 10, 4086)) as Uint8Array).toString('latin1') === 'SWAPSPACE2';
  } catch {
    return false;
  }
}

async function openAppliance(file: string, format: string, o: SparsifyOptions): Promise<Guestfs> {
  const g = new Guestfs({ backend: 'appliance', needs: { writes: true }, log: o.verbose });
  o.trace?.(g);
  g.addDrive(file, { format });
  await g.launch();
  return g;
}

async function copyViaAppliance(o: SparsifyOptions, inFormat: string, outFormat: string, qcow2: Qcow2TargetOptions, virtualSize: number): Promise<void> {
  const dir = tmpPlace(o);
  await checkTmpdir(dir, virtualSize, o);
  o.message(`Create overlay file in ${dir} to protect source disk`);
  const overlay = path.join(dir, `sparsify${Math.random().toString(36).slice(2, 8)}.qcow2`);
  try {
    await createImage(overlay, 'qcow2', -1, { backingfile: path.resolve(o.input), backingformat: inFormat, compat: '1.1' });
    o.message('Examine source disk');
    const g = await openAppliance(overlay, 'qcow2', o);
    try {
      await applianceSparsify(g, o);
      await g.shutdown();
    } finally {
      await g.close();
    }
    const src = await openDrive({ file: overlay, format: 'qcow2', readOnly: true });
    try {
      await copyOut(src, o, outFormat, qcow2);
    } finally {
      await src.close();
    }
  } finally {
    await fs.promises.unlink(overlay).catch(() => {});
  }
}

async function copyMode(o: SparsifyOptions): Promise<SparsifyResult> {
  const inFormat = await inputFormat(o);
  const outFormat = o.convert ?? inFormat;
  const qcow2 = outputOptions(o, outFormat);
  const src = await openDrive({ file: o.input, format: o.format, readOnly: true });
  let plan: SparsifyPlan;
  try {
    plan = await planSparsify(src, { ignore: o.ignore, zero: o.zero });
  } catch (e) {
    await src.close();
    throw e;
  }
  const chosen = route(plan, o.backend);
  if (chosen === 'appliance') {
    o.verbose?.(`sparsify: the appliance zeroes ${plan.needsAppliance.join(', ') || 'the filesystems'}`);
    const size = src.size;
    await src.close();
    if (isNbdUri(o.input)) throw new NotSupportedError('sparsify of an NBD URI through an overlay', 'appliance');
    await copyViaAppliance(o, inFormat, outFormat, qcow2, size);
    return { route: chosen, zeroedBytes: 0 };
  }
  try {
    o.message('Examine source disk');
    for (const s of plan.steps) o.message(stepMessage(s, false));
    await copyOut(new ZeroMaskDevice(src, plan.zeroed), o, outFormat, qcow2);
  } finally {
    await src.close();
  }
  return { route: chosen, zeroedBytes: rangesBytes(plan.zeroed) };
}

async function inPlaceMode(o: SparsifyOptions): Promise<SparsifyResult> {
  const format = await inputFormat(o);
  let plan: SparsifyPlan | undefined;
  if (format === 'raw' && !isNbdUri(o.input) && o.backend !== 'appliance') {
    const src = await openDrive({ file: o.input, format: 'raw', readOnly: true });
    try {
      plan = await planSparsify(src, { ignore: o.ignore, zero: o.zero });
    } finally {
      await src.close();
    }
  } else if (o.backend === 'wasm') {
    throw new NotSupportedError(`sparsify --in-place on ${isNbdUri(o.input) ? 'an NBD URI' : `a ${format} image`}`, 'wasm');
  }
  if (plan && route(plan, o.backend) === 'in process') {
    for (const s of plan.steps) {
      o.message(stepMessage(s, true));
      const total = rangesBytes(s.ranges);
      let done = 0;
      o.progress?.(0, total);
      // fallocate punches holes in the host file (the range then reads as zeroes); no guest data is parsed.
      for (const [start, end] of s.ranges) {
        await runHostProgram('fallocate', ['-p', '-o', String(start), '-l', String(end - start), o.input]);
        done += end - start;
        o.progress?.(done, total);
      }
    }
    o.message('Sparsify in-place operation completed with no errors');
    return { route: 'in process', zeroedBytes: rangesBytes(plan.zeroed) };
  }
  const g = await openAppliance(o.input, format, o);
  try {
    await applianceSparsify(g, o);
    await g.shutdown();
  } finally {
    await g.close();
  }
  o.message('Sparsify in-place operation completed with no errors');
  return { route: 'appliance', zeroedBytes: 0 };
}

export async function sparsify(o: SparsifyOptions): Promise<SparsifyResult> {
  if (o.inPlace) return inPlaceMode(o);
  const r = await copyMode(o);
  o.message('Sparsify operation completed with no errors.');
  return r;
}

