/**
 * virt-make-fs: a new disk image holding one filesystem (optionally in a
 * partition) filled from a host directory or tar archive.
 *
 * Two routes through the one backend choice:
 * - in process (wasm, and auto for ext2/3/4, vfat, ntfs): the host's mkfs
 *   writes the empty filesystem (mke2fs -d copies a directory straight in),
 *   the partition table is written by the partition writer, and the wasm
 *   backend unpacks the tar (tar-in) when the mkfs did not fill it;
 * - appliance (--backend=appliance, and auto for xfs, btrfs and the rest):
 *   part-disk, mkfs and tar-in in the VM, as virt-make-fs does.
 * The image is built as a raw temp file beside OUTPUT and published at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawFileDevice } from '../block/raw-file.js';
import { Guestfs } from '../core/guestfs.js';
import { ErrnoError, GuestkitError, NotSupportedError } from '../errors/index.js';
import { readPartitionTable } from '../partition/partition-table.js';
import { parsePartType, partitionWholeDisk, type PartTableType } from '../partition/partition-writer.js';
import { setMbrId } from '../partition/partition-editor.js';
import { hostMkfs, HOST_MKFS_TYPES } from './host-mkfs.js';
import { runHostProgram } from './host-program.js';
import { examineInput, type MakeFsInput } from './make-fs-input.js';
import { estimateSize, outputSize } from './make-fs-size.js';
import { checkOutputPath, copySparse, createSparseFile, publishImage, tempNameBeside, type ByteProgress, type ImageFormat } from './output-image.js';

export interface MakeFsOptions {
  input: string;
  output: string;
  type: string;
  size?: string;
  format: ImageFormat;
  /** Table type (mbr, gpt, ...) or undefined for none. */
  partition?: string;
  label?: string;
  /** --blocksize: the output's sector size (0: not given). */
  blocksize: number;
  backend: 'auto' | 'wasm' | 'appliance';
  verbose?: (line: string) => void;
  /** Bytes done of the copy into the partition and of the qcow2 conversion; (0, 0) while mkfs runs (length unknown). */
  progress?: ByteProgress;
  /** -x: trace the handle's calls. */
  trace?: (g: Guestfs) => void;
}

export interface MakeFsResult {
  input: MakeFsInput;
  estimate: number;
  size: number;
  route: 'in process' | 'appliance';
}

/** MBR type bytes virt-make-fs sets for the filesystem types it knows. */
function mbrIdFor(type: string): number | undefined {
  if (type === 'msdos') return 0x01;
  if (type === 'vfat' || type === 'fat') return 0x0b;
  if (type === 'ntfs') return 0x07;
  if (type.startsWith('ext')) return 0x83;
  if (type === 'minix') return 0x81;
  return undefined;
}

function chooseRoute(type: string, backend: MakeFsOptions['backend']): MakeFsResult['route'] {
  if (backend === 'appliance') return 'appliance';
  if (HOST_MKFS_TYPES.has(type)) return 'in process';
  if (backend === 'wasm') throw new NotSupportedError(`make-fs --type=${type}`, 'wasm');
  return 'appliance';
}

/** A tar of the host directory (as virt-make-fs streams `tar -C DIR -cf - .`), in the host's temp dir. */
async function tarOfDirectory(dir: string, log?: (line: string) => void): Promise<{ file: string; remove: () => Promise<void> }> {
  const tmpdir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'guestkit-makefs-'));
  const file = path.join(tmpdir, 'input.tar');
  await runHostProgram('tar', ['-C', dir, '-cf', file, '.'], log);
  return { file, remove: () => fs.promises.rm(tmpdir, { recursive: true, force: true }) };
}

/** Unpacks the input into the mounted filesystem's root through the handle. */
async function unpackInput(g: Guestfs, input: MakeFsInput, log?: (line: string) => void): Promise<void> {
  if (input.kind === 'tar') {
    log?.(`uploading from ${input.path} to / ...`);
    await g.tarIn(input.path, '/', input.compression ? { compress: input.compression } : {});
    return;
  }
  const tar = await tarOfDirectory(input.path, log);
  try {
    log?.(`uploading from ${input.path} to / ...`);
    await g.tarIn(tar.file, '/');
  } finally {
    await tar.remove();
  }
}

async function openHandle(file: string, backend: 'wasm' | 'appliance', o: MakeFsOptions, commands: string[]): Promise<Guestfs> {
  const g = new Guestfs({ backend, needs: { commands, writes: true }, log: o.verbose });
  o.trace?.(g);
  g.addDrive(file, { format: 'raw' });
  await g.launch();
  return g;
}

async function buildInProcess(tmp: string, input: MakeFsInput, table: PartTableType | undefined, o: MakeFsOptions): Promise<void> {
  // mke2fs -d copies a directory in by itself; every other case is unpacked by the wasm backend.
  const fromDirectory = o.type.startsWith('ext') && input.kind === 'directory' ? input.path : undefined;
  let device = '/dev/sda';
  if (table) {
    const disk = await RawFileDevice.open(tmp, { readOnly: false });
    const fsFile = tempNameBeside(o.output, 'fs');
    try {
      await partitionWholeDisk(disk, table);
      const mbrId = table === 'msdos' ? mbrIdFor(o.type) : undefined;
      if (mbrId !== undefined) await setMbrId(disk, 1, mbrId);
      const part = (await readPartitionTable(disk))!.partitions[0]!;
      o.verbose?.(`creating ${o.type} filesystem on /dev/sda1 ...`);
      await createSparseFile(fsFile, part.size);
      o.progress?.(0, 0);
      await hostMkfs(o.type, fsFile, { label: o.label, fromDirectory, log: o.verbose });
      await copySparse(fsFile, 0, disk, part.start, part.size, o.progress);
      await disk.flush();
    } finally {
      await disk.close();
      await fs.promises.unlink(fsFile).catch(() => {});
    }
    device = '/dev/sda1';
  } else {
    o.verbose?.(`creating ${o.type} filesystem on /dev/sda ...`);
    o.progress?.(0, 0);
    await hostMkfs(o.type, tmp, { label: o.label, fromDirectory, log: o.verbose });
  }
  if (fromDirectory) return;
  const g = await openHandle(tmp, 'wasm', o, ['tar-in']);
  try {
    await g.mount(device, '/');
    o.progress?.(0, 0);
    await unpackInput(g, input, o.verbose);
    await g.shutdown();
  } finally {
    await g.close();
  }
}

async function buildInAppliance(tmp: string, input: MakeFsInput, o: MakeFsOptions): Promise<void> {
  const g = await openHandle(tmp, 'appliance', o, ['mkfs', 'tar-in']);
  try {
    let device = '/dev/sda';
    if (o.partition !== undefined) {
      await g.partDisk('/dev/sda', o.partition);
      device = '/dev/sda1';
      const mbrId = o.partition === 'mbr' || o.partition === 'msdos' ? mbrIdFor(o.type) : undefined;
      if (mbrId !== undefined) await g.partSetMbrId('/dev/sda', 1, mbrId);
    }
    o.verbose?.(`creating ${o.type} filesystem on ${device} ...`);
    if (o.type === 'btrfs') {
      // Single data and metadata copies: duplication would double the estimate.
      await g.mkfsBtrfs([device], { datatype: 'single', metadata: 'single', ...(o.label !== undefined ? { label: o.label } : {}) });
    } else {
      try {
        await g.mkfs(o.type, device, o.label !== undefined ? { label: o.label } : {});
      } catch (e) {
        const hint = o.type === 'fat' ? "Instead of 'fat', try 'vfat' (long filenames) or 'msdos' (short filenames)." : `Is '${o.type}' a correct filesystem type?`;
        // The first line of mkfs's complaint: its usage text that may follow says nothing more.
        const why = (e as Error).message.split('; ')[0]!.replace(/\.$/, '');
        throw new GuestkitError((e as GuestkitError).code ?? 'EINVAL', `'mkfs' (create filesystem) operation failed: ${why}. ${hint}`, { cause: e });
      }
    }
    // utf8 on vfat: any non-ASCII name is stored as UCS-2, as virt-make-fs asks.
    await g.mountOptions(o.type === 'vfat' ? 'utf8' : '', device, '/');
    o.progress?.(0, 0);
    await unpackInput(g, input, o.verbose);
    o.verbose?.('finishing off');
    await g.shutdown();
  } finally {
    await g.close();
  }
}

export async function makeFs(o: MakeFsOptions): Promise<MakeFsResult> {
  const input = await examineInput(o.input);
  o.verbose?.(`input format = ${input.kind === 'directory' ? 'directory' : `tar archive${input.compression ? ` (${input.compression} compressed)` : ''}`}`);
  const estimate = estimateSize(input.bytes, o.type, o.partition !== undefined, o.blocksize);
  o.verbose?.(`estimate = ${input.bytes} bytes (${Math.floor(input.bytes / 1024)} 1K blocks, ${Math.floor(input.bytes / 4096)} 4K blocks)`);
  const size = outputSize(o.size, estimate);
  if (size <= 0) throw new ErrnoError('EINVAL', `invalid size parameter '${o.size}'`);
  if (o.blocksize !== 0 && o.blocksize !== 512) {
    throw new ErrnoError('ENOTSUP', `--blocksize=${o.blocksize}: only 512-byte sectors are supported (both backends present disks with 512-byte sectors)`);
  }
  const table = o.partition !== undefined ? parsePartType(o.partition) : undefined;
  const route = chooseRoute(o.type, o.backend);
  o.verbose?.(`make-fs: ${route === 'appliance' ? 'the appliance makes and fills the filesystem' : 'the host mkfs and the wasm backend make and fill the filesystem'}`);
  checkOutputPath(o.output);
  const tmp = tempNameBeside(o.output);
  try {
    await createSparseFile(tmp, size);
    if (route === 'appliance') await buildInAppliance(tmp, input, o);
    else await buildInProcess(tmp, input, table, o);
    await publishImage(tmp, o.output, o.format, o.progress);
  } catch (e) {
    await fs.promises.unlink(tmp).catch(() => {});
    throw e;
  }
  return { input, estimate, size, route };
}
