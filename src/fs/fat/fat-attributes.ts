/** The attributes of FAT files and of the volume. */
import { FsError, type Attr, type SetAttr, type StatVfs } from '../fs-driver.js';
import { ATTR_DIR, ATTR_RO, fatToUnix, unixToFat } from './fat-layout.js';
import { FF, FR } from './fatfs-module.js';
import { FatVolume } from './fat-volume.js';
import type { Node } from './fat-inodes.js';

const S_IFDIR = 0o040000, S_IFREG = 0o100000;
/** Linux's default fmask/dmask under umask 022. */
const FMASK = 0o022, DMASK = 0o022;
/** Linux vfat: FAT_LFN_LEN (255) × NLS_MAX_CHARSET_SIZE (6). */
const NAMEMAX = 1530;
const ST_RDONLY = 1;

/** statfs, getattr and setattr, as Linux's vfat with no mount options answers them (see fat-driver.ts). */
export abstract class FatAttributes extends FatVolume {
  statfs(): StatVfs {
    this.check('statfs');
    this.syncDirty();
    const g = this.geo;
    const free = this.roFree ?? this.checkFreeCount();
    return {
      bsize: g.clusterBytes,
      frsize: g.clusterBytes,
      blocks: g.nFatent - 2,
      bfree: free,
      bavail: free,
      files: 0,
      ffree: 0,
      favail: 0,
      fsid: g.serial,
      flag: this.readOnly ? ST_RDONLY : 0,
      namemax: NAMEMAX,
    };
  }

  getattr(ino: number): Attr {
    this.check('getattr');
    const g = this.geo;
    const cb = g.clusterBytes;
    const zero = { sec: 0, nsec: 0 };
    if (ino === 1) {
      const l = this.listing(1);
      const size = g.fatType === 32 ? l.nClusters * cb : g.rootBytes;
      return {
        ino, mode: S_IFDIR | (0o777 & ~DMASK), nlink: l.subdirs + 2, uid: 0, gid: 0, size,
        blocks: Math.ceil(size / cb) * cb / 512, blksize: cb, rdev: 0, atime: zero, mtime: zero, ctime: zero,
      };
    }
    const n = this.node(ino);
    if (this.dirty.has(ino)) this.syncDirty();
    const e = this.entry(ino);
    if (!e) {
      // not in our parse (it should be): ask FatFs, or report it gone
      return this.attrFromStat(ino, n);
    }
    const isDir = (e.attr & ATTR_DIR) !== 0;
    let mode: number, size: number, nlink: number;
    if (isDir) {
      const l = this.listing(ino);
      mode = S_IFDIR | (0o777 & ~DMASK);
      size = l.nClusters * cb;
      nlink = l.subdirs + 2;
    } else {
      mode = S_IFREG | (0o777 & ~FMASK);
      if (e.attr & ATTR_RO) mode &= ~0o222;
      size = e.size;
      nlink = 1;
    }
    const m = fatToUnix(e.mdate, e.mtime);
    const a = e.adate ? fatToUnix(e.adate, 0) : m;
    return {
      ino, mode, nlink, uid: 0, gid: 0, size, blocks: Math.ceil(size / cb) * cb / 512, blksize: cb, rdev: 0,
      atime: { sec: a, nsec: 0 }, mtime: { sec: m, nsec: 0 }, ctime: { sec: m, nsec: 0 },
    };
  }

  protected attrFromStat(ino: number, n: Node): Attr {
    const path = this.fullPath(ino);
    const res = this.try(() => this.ff._f_stat(this.path(0, path), this.fno));
    if (res !== FR.OK) {
      this.removeNode(ino);
      throw this.frError(res === FR.INVALID_NAME ? FR.NO_FILE : res, `stat ${path}`);
    }
    const ff = this.ff;
    const attr = ff._FILINFO_fattrib(this.fno);
    const size = n.dir ? this.geo.clusterBytes : ff._FILINFO_fsize(this.fno) >>> 0;
    const m = fatToUnix(ff._FILINFO_fdate(this.fno), ff._FILINFO_ftime(this.fno));
    let mode = n.dir ? S_IFDIR | 0o755 : S_IFREG | 0o755;
    if (!n.dir && attr & FF.AM_RDO) mode &= ~0o222;
    const cb = this.geo.clusterBytes;
    return {
      ino, mode, nlink: n.dir ? 2 : 1, uid: 0, gid: 0, size, blocks: Math.ceil(size / cb) * cb / 512, blksize: cb,
      rdev: 0, atime: { sec: m, nsec: 0 }, mtime: { sec: m, nsec: 0 }, ctime: { sec: m, nsec: 0 },
    };
  }

  setattr(ino: number, attr: SetAttr): void {
    this.check('setattr');
    const n = this.node(ino);
    const has = attr.mode !== undefined || attr.uid !== undefined || attr.gid !== undefined ||
      attr.atime !== undefined || attr.mtime !== undefined;
    if (!has) return;
    if (this.readOnly) throw new FsError('EROFS', 'setattr: read-only filesystem');
    // fat_setattr(): only the mount's owner, and only rwx bits
    if ((attr.uid !== undefined && attr.uid !== 0) || (attr.gid !== undefined && attr.gid !== 0)) {
      throw new FsError('EPERM', 'FAT cannot store owners');
    }
    if (attr.mode !== undefined && (attr.mode & ~0o777) !== 0) throw new FsError('EPERM', 'FAT cannot store these mode bits');
    for (const t of [attr.atime, attr.mtime]) {
      if (t && (!Number.isFinite(t.sec) || !Number.isFinite(t.nsec))) throw new FsError('EINVAL', 'invalid timestamp');
    }
    if (ino === 1) return; // Linux keeps the root's times in memory only; it has no entry
    const cur = this.getattr(ino);
    let setRo: boolean | undefined;
    if (attr.mode !== undefined) {
      // fat_sanitize_mode_change(): a change it cannot represent is silently ignored
      const mask = n.dir ? DMASK : FMASK;
      const perm = attr.mode & ~mask & 0o777;
      if ((perm & 0o555) === (cur.mode & 0o555)) {
        const w = perm & 0o222;
        if (!n.dir) {
          if (w === 0) setRo = true;
          else if (w === (0o222 & ~mask)) setRo = false;
        }
      }
    }
    const e = this.entry(ino);
    if (!e) throw new FsError('ENOENT', `inode ${ino} no longer exists`);
    const roNow = (e.attr & ATTR_RO) !== 0;
    if (setRo === roNow) setRo = undefined;
    if (setRo === undefined && !attr.atime && !attr.mtime) return;
    this.editEntry(ino, (b) => {
      const dv = new DataView(b.buffer, b.byteOffset, 32);
      if (setRo !== undefined) b[11] = setRo ? b[11]! | ATTR_RO : b[11]! & ~ATTR_RO;
      if (attr.mtime) {
        const t = unixToFat(attr.mtime.sec);
        dv.setUint16(22, t.time, true);
        dv.setUint16(24, t.date, true);
      }
      if (attr.atime) dv.setUint16(18, unixToFat(attr.atime.sec).date, true);
    });
  }
}
