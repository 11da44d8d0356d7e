/**
 * openDrive: from a user's drive (a file or an NBD URI, a format, read-only
 * or not) to a BlockDevice. Read-only drives are wrapped in a copy-on-write
 * overlay so that nothing can write a byte to the image.
 */
import type { BlockDevice } from './block-device.js';
import { GuestkitError, ImageError } from '../errors/index.js';
import { checkBackingChain } from './backing-chain.js';
import { checkWritable } from './image-lock.js';
import { probeBytes, qcow2ClusterProblem, qcow2Problem, readImageHead, validateFormat, type ProbedFormat } from './format.js';
import { isNbdUri } from './nbd/uri.js';
import { OverlayDevice } from './overlay.js';
import { JournaledDevice } from './journaled-device.js';
import { applyJournal, pendingJournal } from './commit-journal.js';
import { finishInterruptedCommit } from './journaled-commit.js';
import { RawFileDevice } from './raw-file.js';
import { isVmxPath } from './vmx.js';

export interface DriveOptions {
  /** A local file or block device, or an nbd:// / nbd+unix:// URI. */
  file: string;
  /** raw, qcow2, vmdk, vhdx, vdi, vpc; probed from the file when absent. */
  format?: string;
  readOnly: boolean;
  /** Connect timeout for NBD URIs and qemu-nbd start (ms). */
  timeoutMs?: number;
  /** A qemu-nbd started for the drive runs in its own session (see QemuNbdOptions.ownSession). */
  ownSession?: boolean;
  /** false: take no qemu image locks and check none before writing (--no-lock). */
  locking?: boolean;
  /**
   * false: writes go straight to the image instead of through the journal at
   * each flush (for callers that journal themselves, and NBD serving, where a
   * client's flushes are its own business).
   */
  journaled?: boolean;
  /**
   * false: a drive only qemu-nbd can serve (vhdx, vdi, vpc, qed, a writable
   * vmdk, a qcow2 whose backing file guestkit cannot read) is not opened but
   * refused with NeedsQemuNbd, for callers that run qemu-nbd their own way.
   */
  qemuNbd?: boolean;
  /** The caller will walk the drive's allocation map (copy, serve): a raw file's is asked for while its image locks are taken. */
  mapAhead?: boolean;
}

/** openDrive with `qemuNbd: false` on a drive only qemu-nbd can serve: its format, for the caller's own qemu-nbd. */
export class NeedsQemuNbd extends GuestkitError {
  constructor(
    readonly file: string,
    readonly format: ProbedFormat,
  ) {
    super('ENOTSUP', `${file}: ${format} images need qemu-nbd`, { disk: file });
    this.name = 'NeedsQemuNbd';
  }
}

async function openWithQemuNbdFor(file: string, format: ProbedFormat, opts: DriveOptions): Promise<BlockDevice> {
  const { openWithQemuNbd } = await import('./qemu-nbd.js');
  return openWithQemuNbd({ file, format, readOnly: opts.readOnly, startTimeoutMs: opts.timeoutMs, ownSession: opts.ownSession });
}

/**
 * A read-only qcow2 read in TypeScript. What the reader cannot do itself (
 * backing files of other formats or behind protocols) falls back to qemu-nbd;
 * without qemu-nbd that is the reader's one-line message.
 */
async function openQcow2Natively(file: string, readOnly: boolean, lock: boolean, viaQemuNbd: () => Promise<BlockDevice>): Promise<BlockDevice> {
  const { Qcow2Device } = await import('./qcow2/qcow2-device.js');
  const { Qcow2NeedsQemu } = await import('./qcow2/qcow2-header.js');
  try {
    // A commit interrupted in the middle of its qcow2 writes may have leaked clusters (version 2 images
    // have no dirty bit to say so): the refcounts are rebuilt before the journal is replayed.
    return await Qcow2Device.open(file, { readOnly, repair: !readOnly && pendingJournal(file)?.complete === true, lock });
  } catch (e) {
    if (!(e instanceof Qcow2NeedsQemu)) throw e;
    try {
      return await viaQemuNbd();
    } catch (q) {
      if ((q as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') throw e;
      throw q;
    }
  }
}

/**
 * A commit that was interrupted after its commit point is finished here: on a
 * writable handle it is replayed onto the image; a read-only handle reads
 * the journal's ranges over the image instead (writing nothing), so both see
 * the image as after the commit.
 */
async function withInterruptedCommit(file: string, dev: BlockDevice): Promise<BlockDevice> {
  try {
    const journal = await finishInterruptedCommit(file, dev);
    if (!journal) return dev;
    const view = new OverlayDevice(dev);
    await applyJournal(journal, view, file, { check: true });
    return view;
  } catch (e) {
    await dev.close();
    throw e;
  }
}

export async function openDrive(opts: DriveOptions): Promise<BlockDevice> {
  const { file, readOnly } = opts;
  const format = opts.format === undefined || opts.format === '' ? undefined : validateFormat(opts.format);
  let dev: BlockDevice;
  if (isNbdUri(file)) {
    if (format !== undefined && format !== 'raw') {
      throw new GuestkitError('EFORMAT', `${file}: format ${format} over NBD is not supported: the server must export raw data`, { disk: file });
    }
    // The NBD client and qemu-nbd load only for the drives that need them.
    const { NbdDevice } = await import('./nbd/client.js');
    dev = await NbdDevice.connect(file, { readOnly, connectTimeoutMs: opts.timeoutMs });
  } else {
    const h = await readImageHead(file); // one-line errors: missing, empty, a directory...
    if (isVmxPath(file)) throw new ImageError(file, 'is a VMware .vmx file, not a disk: add it with -a, or name one of its disks');
    // Raw and qcow2 devices take qemu's image locks on the descriptor they keep open (a writer refuses when
    // they are held elsewhere); the other formats' qemu-nbd takes its own. /proc/locks is read first all the
    // same, so that a writer whose image is in use gets guestkit's one line whichever opens it.
    const lock = opts.locking !== false && h.isFile;
    if (!readOnly && lock) checkWritable(file);
    let fmt: ProbedFormat;
    if (format !== undefined) {
      fmt = format;
    } else {
      const probed = probeBytes(h.head, h.footer);
      if (probed === 'luks') throw new ImageError(file, 'is LUKS-encrypted: encrypted disks are not supported');
      fmt = probed;
    }
    if (fmt === 'qcow2' && h.isFile && probeBytes(h.head) === 'qcow2') {
      const problem = qcow2Problem(h.head, h.size) ?? (await qcow2ClusterProblem(file, h.head, h.size));
      if (problem) throw new ImageError(file, problem);
      await checkBackingChain(file);
    }
    const viaQemuNbd = opts.qemuNbd === false ? () => Promise.reject(new NeedsQemuNbd(file, fmt)) : () => openWithQemuNbdFor(file, fmt, opts);
    if (fmt === 'raw') dev = await RawFileDevice.open(file, { readOnly, lock, mapAhead: opts.mapAhead });
    else if (fmt === 'qcow2' && h.isFile && probeBytes(h.head) === 'qcow2') dev = await openQcow2Natively(file, readOnly, lock, viaQemuNbd);
    else if (fmt === 'vmdk' && readOnly && h.isFile) dev = await (await import('./vmdk/vmdk-device.js')).VmdkDevice.open(file);
    else dev = await viaQemuNbd();
    dev = await withInterruptedCommit(file, dev);
  }
  if (readOnly) return new OverlayDevice(dev);
  // Local images are written through the journal; an NBD server's storage is its own to keep consistent.
  return isNbdUri(file) || opts.journaled === false ? dev : new JournaledDevice(file, dev);
}
