/**
 * The in-process backend: partitions in TypeScript on the main thread, filesystems
 * in WebAssembly inside a worker thread. Drives are opened read-only where asked,
 * behind a copy-on-write overlay, so nothing this backend does can reach such an image.
 */
import type { Worker } from 'node:worker_threads';
import type { BlockDevice } from '../../block/block-device.js';
import { openDrive } from '../../block/open-drive.js';
import { commitOverlay } from '../../block/commit-overlay.js';
import { OverlayDevice } from '../../block/overlay.js';
import { ErrnoError, GuestkitError, NotSupportedError, ReadOnlyInWasmError } from '../../errors/index.js';
import { fromErrorRecord } from '../../errors/error-record.js';
import { splitBtrfsvol } from '../../core/mountable.js';
import { mountOptionsFor } from './mount-options.js';
import type { BtrfsInfo } from './btrfs-ops.js';
import { probeDevice, type Probe } from '../../probe/probe.js';
import type { Backend, DriveConfig } from '../backend.js';
import { BridgeServer } from './block-bridge.js';
import { takeFsWorker } from './fs-worker.js';
import { DeviceMap, type DeviceEntry } from './device-map.js';
import type { MountRequest, WorkerArgs, WorkerOpName, WorkerRequest, WorkerResponse, WorkerResult } from './worker-protocol.js';
import { CAPABILITIES, READ_ONLY_FORMATS } from '../capabilities.js';
import { timingMark } from '../../util/timing-trace.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly capabilities = CAPABILITIES.wasm;
  private drives: BlockDevice[] = [];
  private configs: DriveConfig[] = [];
  devices!: DeviceMap;
  private worker?: Worker;
  private bridge?: BridgeServer;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextDeviceId = 1;
  private readonly probes = new Map<string, Probe>();
  private workerError?: Error;
  private readonly prestartWorker: boolean;

  /**
   * `prestartWorker: false` for callers that will mount nothing (listing devices,
   * partitions and filesystem types needs no worker): the worker then starts only
   * if a command needs it, and a process that only lists spares its start-up.
   */
  constructor(opts: { prestartWorker?: boolean } = {}) {
    this.prestartWorker = opts.prestartWorker ?? true;
  }

  async launch(drives: DriveConfig[]): Promise<void> {
    this.configs = drives;
    // The worker boots and compiles its WebAssembly while the drives open: on a
    // cold process this is most of the time to the first answer.
    if (this.prestartWorker) this.startWorker();
    try {
      // A transactional drive is opened read-only (openDrive puts its overlay on top);
      // commit() writes the overlay through a writable handle opened only then.
      for (const d of drives) this.drives.push(await openDrive({ file: d.file, format: d.format, readOnly: d.readonly || !!d.transactional, locking: d.locking }));
      this.devices = await DeviceMap.build(this.drives);
      timingMark('drives opened, partitions and LVM scanned');
    } catch (e) {
      await this.shutdown();
      throw e;
    }
  }

  drive(index: number): DriveConfig | undefined {
    return this.configs[index];
  }

  private startWorker(): Worker {
    if (this.worker) return this.worker;
    const { worker: w, buffers } = takeFsWorker();
    this.bridge = new BridgeServer(buffers);
    w.on('message', (res: WorkerResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      // Host device errors the bridge served come back as the objects themselves.
      else p.reject(fromErrorRecord(res.error, (ref) => this.bridge?.takeHostError(ref)));
    });
    const die = (err: Error) => {
      this.workerError = err;
      for (const p of this.pending.values()) p.reject(new GuestkitError('EIO', `filesystem worker failed: ${err.message}`, { cause: err }));
      this.pending.clear();
    };
    w.on('error', die);
    w.on('exit', (code) => { if (this.pending.size) die(new Error(`exited with status ${code}`)); });
    this.worker = w;
    return w;
  }

  /** Calls an operation in the fs worker (worker-protocol.ts types its arguments and result). */
  rpc<K extends WorkerOpName>(op: K, ...args: WorkerArgs<K>): Promise<WorkerResult<K>> {
    return this.post({ id: this.nextId++, op, args }) as Promise<WorkerResult<K>>;
  }

  /**
   * For implementations that forward a command's already validated arguments to
   * the op of the same shape (workerOp): the command table's argument kinds are
   * the check, the worker reports a mismatch as an error.
   */
  rpcUnchecked(op: WorkerOpName, args: readonly unknown[]): Promise<unknown> {
    return this.post({ id: this.nextId++, op, args } as WorkerRequest);
  }

  private post(req: WorkerRequest): Promise<unknown> {
    if (this.workerError) return Promise.reject(new GuestkitError('EIO', `filesystem worker failed: ${this.workerError.message}`, { cause: this.workerError }));
    const w = this.startWorker();
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      w.postMessage(req);
    });
  }

  /**
   * Re-reads partition tables and LVM after a command rewrote a disk's table
   * (part-init, part-add, part-disk); cached probes are dropped with it.
   */
  async rescanDevices(): Promise<void> {
    this.devices = await DeviceMap.build(this.drives);
    this.probes.clear();
  }

  /** Looks a device up by name, or fails with the libguestfs-style message. */
  device(name: string): DeviceEntry {
    const d = this.devices.get(name);
    if (!d) throw new ErrnoError('ENOENT', `${name}: No such file or directory`);
    return d;
  }

  /** The filesystem on a device; a btrfs subvolume (btrfsvol:DEVICE/SUBVOL) has its device's. */
  async probe(name: string): Promise<Probe> {
    name = splitBtrfsvol(name)?.device ?? name;
    let p = this.probes.get(name);
    if (!p) {
      p = await probeDevice(this.device(name).dev);
      this.probes.set(name, p);
    }
    return p;
  }

  /** The subvolumes and default subvolume of the btrfs filesystem on a device (or btrfsvol:) or at a mounted guest path. */
  async btrfsInfo(fs: string): Promise<BtrfsInfo> {
    if (!fs.startsWith('/dev/') && !fs.startsWith('btrfsvol:')) return this.rpc('btrfsInfo', { path: fs });
    const vol = splitBtrfsvol(fs);
    const device = vol?.device ?? fs;
    const entry = this.device(device);
    const { type } = await this.probe(device);
    if (type !== 'btrfs') throw new ErrnoError('EINVAL', `${device}: not a btrfs filesystem${type ? ` (${type})` : ''}`);
    const deviceId = this.nextDeviceId++;
    this.startWorker();
    this.bridge!.register(deviceId, entry.dev);
    try {
      return await this.rpc('btrfsInfo', { deviceId, device, size: entry.dev.size, options: vol ? `subvol=${vol.subvol}` : '' });
    } finally {
      this.bridge!.unregister(deviceId);
    }
  }

  /**
   * Mounts a device, or a btrfs subvolume (btrfsvol:DEVICE/SUBVOL, mounted as DEVICE
   * with subvol=SUBVOL). `options` are mount(8) options: see mountOptionsFor.
   */
  async mount(mountable: string, mountpoint: string, readOnly: boolean, options = ''): Promise<void> {
    const vol = splitBtrfsvol(mountable);
    const device = vol?.device ?? mountable;
    const entry = this.device(device);
    const probe = await this.probe(device);
    if (!probe.type) {
      const disk = this.configs[entry.drive]?.file ?? device;
      throw new ErrnoError('EINVAL', `${device} (${disk}): no filesystem found on this device: wrong device, or not a disk image`, { disk });
    }
    // An ISO mounted read-write is mounted read-only, as mount(8) does with it.
    if (READ_ONLY_FORMATS.has(probe.type)) readOnly = true;
    const serves = readOnly ? this.capabilities.mountsReadOnly : this.capabilities.mountsReadWrite;
    if (!serves.has(probe.type)) {
      if (this.capabilities.mountsReadOnly.has(probe.type)) throw new ReadOnlyInWasmError(device, probe.type);
      throw new GuestkitError('ENOTSUP', `${device}: ${probe.type} filesystems are not supported by the wasm backend: use --backend=appliance`);
    }
    const driverOptions = mountOptionsFor(device, probe.type, vol ? [options, `subvol=${vol.subvol}`].filter(Boolean).join(',') : options);
    const deviceId = this.nextDeviceId++;
    this.startWorker();
    this.bridge!.register(deviceId, entry.dev);
    const req: MountRequest = {
      deviceId, device, size: entry.dev.size, fsType: probe.type,
      deviceReadOnly: entry.dev.readOnly, mountReadOnly: readOnly, mountpoint, options: driverOptions,
      ...(probe.type === 'btrfs' ? { peers: await this.btrfsPeers(device) } : {}),
    };
    try {
      await this.rpc('mount', req);
    } catch (e) {
      this.bridge!.unregister(deviceId);
      // Name the device and its disk: "cannot open ext4 filesystem" alone says neither.
      if (e instanceof GuestkitError && !e.message.startsWith(device)) {
        const disk = this.configs[entry.drive]?.file ?? device;
        throw new GuestkitError(e.code, `${device} (${disk}): ${e.message}`, { cause: e, disk });
      }
      throw e;
    }
  }

  /**
   * The session's other devices holding btrfs, registered with the bridge: a filesystem
   * spanning several devices (RAID profiles) finds its members among them by fsid.
   */
  private async btrfsPeers(device: string): Promise<{ deviceId: number; size: number }[]> {
    const peers: { deviceId: number; size: number }[] = [];
    for (const d of this.devices.filesystemCandidates()) {
      if (d.name === device || (await this.probe(d.name).catch(() => undefined))?.type !== 'btrfs') continue;
      const deviceId = this.nextDeviceId++;
      this.bridge!.register(deviceId, d.dev);
      peers.push({ deviceId, size: d.dev.size });
    }
    return peers;
  }

  /**
   * The request that opens the filesystem on a device by itself (not mounted), for
   * the worker's inode-level reads; the device is registered with the bridge for the call.
   */
  async withDeviceRequest<T>(device: string, types: readonly string[], run: (req: MountRequest) => Promise<T>): Promise<T> {
    const entry = this.device(device);
    const probe = await this.probe(device);
    if (!probe.type || !types.includes(probe.type)) {
      throw new NotSupportedError(`${device}: ${probe.type || 'no filesystem'}: inode-level reads of anything but ${types.join(', ')}`, 'wasm');
    }
    const deviceId = this.nextDeviceId++;
    this.startWorker();
    this.bridge!.register(deviceId, entry.dev);
    try {
      return await run({ deviceId, device, size: entry.dev.size, fsType: probe.type, deviceReadOnly: true, mountReadOnly: true, mountpoint: '' });
    } finally {
      this.bridge!.unregister(deviceId);
    }
  }

  /** Writes each transactional drive's overlay to its image (see Backend.commit). */
  async commit(): Promise<void> {
    if (this.worker && !this.workerError) await this.rpc('umountAll');
    for (const [i, d] of this.configs.entries()) {
      if (!d.transactional || d.readonly) continue;
      const dev = this.drives[i];
      if (!(dev instanceof OverlayDevice)) throw new GuestkitError('EINVAL', `${d.file}: not opened as a transactional drive`);
      await commitOverlay(dev, { file: d.file, format: d.format, locking: d.locking });
    }
  }

  /** Flushes the filesystems' caches, then looks for written chunks in the overlays of read-only and transactional drives. */
  async unsavedWrites(): Promise<boolean> {
    if (this.worker && !this.workerError) await this.rpc('sync');
    return this.drives.some((d) => d instanceof OverlayDevice && d.dirtyChunks > 0);
  }

  async shutdown(): Promise<void> {
    const errors: unknown[] = [];
    if (this.worker && !this.workerError) {
      try {
        await this.rpc('umountAll');
      } catch (e) {
        errors.push(e);
      }
    }
    if (this.worker) {
      await this.bridge?.stop();
      await this.worker.terminate();
      this.worker = undefined;
    }
    for (const d of this.drives) {
      try {
        await d.flush();
        await d.close();
      } catch (e) {
        errors.push(e);
      }
    }
    this.drives = [];
    if (errors.length) throw errors[0];
  }
}
