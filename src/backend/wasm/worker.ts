/**
 * The fs worker: owns the WebAssembly filesystem modules and the guest's VFS.
 * Requests arrive as messages; block I/O goes back to the main thread through
 * the synchronous bridge. Nothing here touches the host's filesystem except
 * loading the .wasm files.
 */
import '../../util/compile-cache.js';
import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { BridgeClient } from './block-bridge.js';
import { toErrorRecord } from '../../errors/error-record.js';
import { VFS_OPS, type MountRequest, type WorkerInit, type WorkerOps, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';
import { FsError, type FsDriver } from '../../fs/fs-driver.js';
import { Vfs, isDir } from '../../fs/vfs.js';
import { CachedDevice } from '../../fs/cached-device.js';
import { loadExt2Module, openExt2 } from '../../fs/ext2/ext2-driver.js';
import type { NtfsModule } from '../../fs/ntfs/ntfs-driver.js';
import { cksumCrc } from '../../util/cksum.js';
import { byteOrder } from '../../util/byte-order.js';
import { bulkOps } from './bulk-ops.js';
import { listingOps } from './packed-listing.js';
import { setTimingOrigin, timingMark } from '../../util/timing-trace.js';
import { fileOps } from './file-ops.js';
import { walkFilesystem } from './inode-ops.js';
import { btrfsOps } from './btrfs-ops.js';
import { xattrOps } from './xattr-ops.js';

const init = workerData as WorkerInit;
setTimingOrigin(init.timeOrigin);
timingMark('fs worker: modules loaded');
const bridge = new BridgeClient(init.bridge);
const vfs = new Vfs();
let ext2Module: Awaited<ReturnType<typeof loadExt2Module>> | undefined;
let ntfsModule: NtfsModule | undefined;

async function openDriver(req: MountRequest): Promise<FsDriver> {
  const device = bridge.device(req.deviceId, req.size, req.deviceReadOnly);
  switch (req.fsType) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      // A module that aborted stays unusable: mount with a fresh instance.
      if (!ext2Module || ext2Module.dead) ext2Module = await loadExt2Module();
      return openExt2(ext2Module, device, { readOnly: req.mountReadOnly });
    // NTFS, FAT, XFS, btrfs and ISO 9660 load on first use: the worker boots faster for the common ext case.
    // FAT and NTFS write metadata a sector at a time: a block cache (written back on the
    // driver's flush and close) spares a bridge round trip per sector
    case 'vfat': {
      const { openFat } = await import('../../fs/fat/fat-driver.js');
      return openFat(new CachedDevice(device), { readOnly: req.mountReadOnly });
    }
    case 'ntfs': {
      const { loadNtfsModule, openNtfs } = await import('../../fs/ntfs/ntfs-driver.js');
      if (!ntfsModule || ntfsModule.dead) ntfsModule = await loadNtfsModule();
      return openNtfs(ntfsModule, new CachedDevice(device), { readOnly: req.mountReadOnly });
    }
    case 'xfs': {
      const { openXfs } = await import('../../fs/xfs/xfs-driver.js');
      return openXfs(device, { readOnly: req.mountReadOnly });
    }
    case 'btrfs': {
      const { openBtrfs } = await import('../../fs/btrfs/btrfs-driver.js');
      const peers = (req.peers ?? []).map((p) => bridge.device(p.deviceId, p.size, true));
      return openBtrfs(device, { readOnly: req.mountReadOnly, options: req.options }, peers);
    }
    case 'iso9660': {
      const { openIso9660 } = await import('../../fs/iso9660/iso-driver.js');
      return openIso9660(device, { readOnly: req.mountReadOnly });
    }
    default:
      throw new FsError('ENOTSUP', `${req.device}: filesystem type '${req.fsType}' is not supported by the wasm backend: use --backend=appliance`);
  }
}

/**
 * find: every path below DIR, sorted, directories included, each with DIR's own
 * text cut off the front, as guestfs's find returns them: "/" gives "etc/hostname",
 * "/etc" gives "/hostname".
 */
function find(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const e of vfs.readdirPlus(abs)) {
      const full = abs.endsWith('/') ? `${abs}${e.name}` : `${abs}/${e.name}`;
      out.push(full.slice(dir.length));
      if (isDir(e.attr.mode)) walk(full);
    }
  };
  walk(dir);
  return out.sort(byteOrder);
}

const HASHES: Record<string, string> = {
  md5: 'md5', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512',
};
const CHUNK = 4 << 20;

function checksum(type: string, path: string): string {
  const st = vfs.stat(path);
  if (isDir(st.mode)) throw new FsError('EISDIR', `${path}: Is a directory`);
  const alg = HASHES[type];
  if (type !== 'crc' && !alg) {
    throw new FsError('EINVAL', `unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512`);
  }
  const crc = type === 'crc' ? cksumCrc() : undefined;
  const hash = alg ? createHash(alg) : undefined;
  for (let off = 0; off < st.size; off += CHUNK) {
    const chunk = vfs.read(path, off, CHUNK);
    crc?.update(chunk);
    hash?.update(chunk);
  }
  return crc ? String(crc.digest()) : hash!.digest('hex');
}

const own = {
  async preload() {
    ext2Module ??= await loadExt2Module();
    timingMark('fs worker: ext2 WASM instantiated');
  },
  async mount(req: MountRequest) {
    const driver = await openDriver(req);
    try {
      vfs.mount(req.mountpoint, req.device, driver, req.mountReadOnly);
    } catch (e) {
      driver.close();
      throw e;
    }
  },
  umount(target: string) {
    const m = vfs.umount(target);
    m.driver.close();
    return m.device;
  },
  umountAll() {
    for (const m of vfs.list()) {
      vfs.umount(m.mountpoint);
      m.driver.close();
    }
  },
  mounts: () => vfs.inOrder().map((m) => ({ device: m.device, mountpoint: m.mountpoint })),
  find,
  checksum,
  sync: () => vfs.flushAll(),
  walkFs: (req: MountRequest) => withDeviceFs(req, (driver, device) => walkFilesystem(driver, device)),
  readInode: (req: MountRequest, ino: number) => withDeviceFs(req, (driver) => {
    const a = driver.getattr(ino);
    return driver.read(ino, 0, a.size);
  }),
};

/** Runs `f` on the device's filesystem opened read-only (what a mount of it has written is flushed first). */
async function withDeviceFs<T>(req: MountRequest, f: (driver: FsDriver, device: ReturnType<typeof bridge.device>) => T): Promise<T> {
  vfs.flushAll();
  const driver = await openDriver({ ...req, mountReadOnly: true });
  try {
    return f(driver, bridge.device(req.deviceId, req.size, true));
  } finally {
    driver.close();
  }
}

const vfsOps = Object.fromEntries(VFS_OPS.map((name) => [name, (vfs[name] as (...a: unknown[]) => unknown).bind(vfs)])) as Pick<Vfs, (typeof VFS_OPS)[number]>;

/** Every operation, checked against the protocol's WorkerOps. */
const ops: WorkerOps = { ...own, ...vfsOps, ...bulkOps(vfs), ...listingOps(vfs), ...fileOps(vfs), ...btrfsOps(vfs, (id, size) => bridge.device(id, size, true)), ...xattrOps(vfs) };

/** The op a message names, if the worker has it (messages come from another thread: checked at run time too). */
function opOf(req: WorkerRequest): ((...args: unknown[]) => unknown) | undefined {
  return Object.hasOwn(ops, req.op) ? (ops[req.op] as (...args: unknown[]) => unknown) : undefined;
}

parentPort!.on('message', async (req: WorkerRequest) => {
  let res: WorkerResponse;
  const transfer: ArrayBuffer[] = [];
  try {
    const fn = opOf(req);
    if (!fn) throw new FsError('ENOTSUP', `unknown worker operation ${req.op}`);
    const result = await fn(...req.args);
    if (result instanceof Uint8Array && result.byteOffset === 0 && result.byteLength === result.buffer.byteLength) {
      transfer.push(result.buffer as ArrayBuffer);
    }
    res = { id: req.id, ok: true, result };
  } catch (e) {
    res = { id: req.id, ok: false, error: toErrorRecord(e, 'EIO') };
  }
  parentPort!.postMessage(res, transfer);
});
