/**
 * Filesystems made by the host's mkfs programs into an image file: they write
 * a fresh filesystem from nothing (mke2fs -d also copies a host directory in),
 * reading no guest data, so no guest filesystem is parsed on the host. These
 * are the types the wasm backend then fills (ext2/3/4, vfat, ntfs).
 */
import { runHostProgram } from './host-program.js';

export const HOST_MKFS_TYPES = new Set(['ext2', 'ext3', 'ext4', 'vfat', 'msdos', 'ntfs']);

export interface HostMkfsOptions {
  label?: string;
  /** ext only: a host directory copied in by mke2fs (owners, modes, times, links, xattrs kept). */
  fromDirectory?: string;
  log?: (line: string) => void;
}

/** Makes a `type` filesystem over the whole of `file`. */
export async function hostMkfs(type: string, file: string, o: HostMkfsOptions): Promise<void> {
  const label = o.label;
  if (type.startsWith('ext')) {
    await runHostProgram('mke2fs', ['-q', '-F', '-t', type, ...(label !== undefined ? ['-L', label] : []), ...(o.fromDirectory ? ['-d', o.fromDirectory] : []), file], o.log);
  } else if (type === 'vfat' || type === 'msdos') {
    // -I: the whole file is the filesystem (no partition table expected), as libguestfs's mkfs passes.
    await runHostProgram('mkfs.vfat', ['-I', ...(label !== undefined ? ['-n', label] : []), file], o.log);
  } else if (type === 'ntfs') {
    // -Q: quick (no zeroing, the file is sparse already); -F: a file, not a block device.
    await runHostProgram('mkfs.ntfs', ['-Q', '-F', '-q', ...(label !== undefined ? ['-L', label] : []), file], o.log);
  } else {
    throw new Error(`hostMkfs: ${type} is not a host mkfs type`);
  }
}
