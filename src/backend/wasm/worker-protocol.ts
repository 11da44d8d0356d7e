/**
 * Messages between the wasm backend (main thread) and its fs worker. WorkerOps is
 * the one list of worker operations, name → arguments → result: the worker's
 * dispatcher implements it (worker.ts) and WasmBackend.rpc is typed by it, so a
 * call such as rpc('stat', path, false) is checked at both ends.
 */
import type { BridgeBuffers } from './block-bridge.js';
import type { ErrorRecord } from '../../errors/error-record.js';
import type { Vfs } from '../../fs/vfs.js';
import type { BulkOps } from './bulk-ops.js';
import type { FileOps } from './file-ops.js';
import type { TskDirent } from './inode-ops.js';
import type { BtrfsOps } from './btrfs-ops.js';
import type { XattrOps } from './xattr-ops.js';
import type { ListingOps } from './packed-listing.js';

export interface WorkerInit {
  bridge: BridgeBuffers;
  /** The main thread's performance.timeOrigin, for the timing trace. */
  timeOrigin: number;
}

/** The Vfs methods the worker serves as they are. */
export const VFS_OPS = ['stat', 'exists', 'readdir', 'readdirTyped', 'readdirPlus', 'read', 'readlink', 'statvfs',
  'writeFile', 'writeAt', 'truncate', 'touch', 'mkdir', 'mkdirP', 'rm', 'rmdir', 'rmRf', 'chmod', 'chown',
  'setTimes', 'symlink', 'link', 'cp', 'mv', 'umask'] as const;

/** Arguments of the worker's 'mount' op. */
export interface MountRequest {
  deviceId: number;
  device: string;
  size: number;
  fsType: string;
  deviceReadOnly: boolean;
  mountReadOnly: boolean;
  mountpoint: string;
  /** mount(8) options the driver acts on (btrfs: subvol=, subvolid=). */
  options?: string;
  /** btrfs: the session's other btrfs devices, among which a multi-device filesystem finds its members. */
  peers?: { deviceId: number; size: number }[];
}

/** Operations of the worker's own (not the Vfs's). */
export interface OwnOps {
  /** Compiles the filesystem modules ahead of the first mount. */
  preload(): Promise<void>;
  mount(req: MountRequest): Promise<void>;
  /** Returns the device that was mounted there. */
  umount(target: string): string;
  umountAll(): void;
  mounts(): { device: string; mountpoint: string }[];
  find(dir: string): string[];
  checksum(type: string, path: string): string;
  sync(): void;
  /** filesystem-walk: the filesystem on the device, opened read-only for the call. */
  walkFs(req: MountRequest): Promise<TskDirent[]>;
  /** download-inode: the bytes of one inode of the filesystem on the device. */
  readInode(req: MountRequest, ino: number): Promise<Uint8Array>;
}

export type WorkerOps = OwnOps & Pick<Vfs, (typeof VFS_OPS)[number]> & BulkOps & ListingOps & FileOps & BtrfsOps & XattrOps;
export type WorkerOpName = keyof WorkerOps;
export type WorkerArgs<K extends WorkerOpName> = Parameters<WorkerOps[K]>;
export type WorkerResult<K extends WorkerOpName> = Awaited<ReturnType<WorkerOps[K]>>;

export interface WorkerRequest<K extends WorkerOpName = WorkerOpName> {
  id: number;
  op: K;
  args: WorkerArgs<K>;
}

export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  /** The error with its code, names and cause chain (rebuilt on the main thread by fromErrorRecord). */
  | { id: number; ok: false; error: ErrorRecord };
