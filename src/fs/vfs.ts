/**
 * The guest's view of its filesystems inside the fs worker: a mount table over
 * FsDrivers and path resolution that keeps every path inside the guest.
 * Symlinks are read and followed here, relative to the guest's root, never the
 * host's; '..' stops at the guest's root. Every error is an FsError whose
 * message starts with the guest path it is about.
 */
import { strerror } from '../errors/errno.js';
import { GuestkitError, codeOfError, type GuestkitCode } from '../errors/index.js';
import { sdDevNumber } from '../util/linux-dev.js';
import { FsError, type Attr, type FsDriver, type StatVfs } from './fs-driver.js';

export const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
export const isDir = (mode: number) => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number) => (mode & S_IFMT) === S_IFREG;
export const isLnk = (mode: number) => (mode & S_IFMT) === S_IFLNK;

const MAX_SYMLINK_HOPS = 40;
const ST_RDONLY = 1, ST_RELATIME = 4096;
/** New files and directories get these less the umask (libguestfs's daemon: 022 until `umask` changes it). */
const NEW_FILE_MODE = 0o666;
const NEW_DIR_MODE = 0o777;

export interface Mount {
  id: number;
  device: string;
  mountpoint: string;
  driver: FsDriver;
  readOnly: boolean;
}

interface Frame {
  name: string;
  mount: Mount;
  ino: number;
}

/** A resolved location: the object's inode and the directory entry that named it. */
export interface Location {
  mount: Mount;
  ino: number;
  /** The canonical guest path (symlinks resolved). */
  path: string;
}

export interface StatResult extends Attr {
  dev: number;
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

function canonical(stack: Frame[]): string {
  return '/' + stack.slice(1).map((f) => f.name).join('/');
}

/** Re-throws a driver error with the guest path in front, keeping its errno. */
export function pathError(path: string, e: unknown): FsError {
  if (e instanceof GuestkitError) {
    const text = strerror(e.code);
    // Plain errno conditions read as the kernel prints them; for I/O and corruption
    // errors, and codes with no kernel text (ENBD, ...), the error's own words say
    // what is wrong, so they are kept.
    if (text === e.code) return new FsError(e.code, e.message.startsWith(path + ':') ? e.message : `${path}: ${e.message}`, { cause: e, path });
    const plain = !['EIO', 'EUCLEAN', 'EFBIG', 'EOVERFLOW', 'ENOTSUP'].includes(e.code);
    const detail = !plain && e.message && e.message !== text && !e.message.startsWith(path + ':') ? ` (${e.message})` : '';
    return new FsError(e.code, `${path}: ${text}${detail}`, { cause: e, path });
  }
  return new FsError(codeOfError(e), `${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e, path });
}

function fail(errno: GuestkitCode, path: string): FsError {
  return new FsError(errno, `${path}: ${strerror(errno)}`, { path });
}

export class Vfs {
  private readonly mounts = new Map<string, Mount>(); // by mountpoint
  private nextId = 1;
  /** The file mode creation mask (the `umask` command's). */
  private mask = 0o022;

  /** Sets the umask when given one; returns the umask that was in force. */
  umask(mask?: number): number {
    const old = this.mask;
    if (mask !== undefined) this.mask = mask & 0o777;
    return old;
  }

  mount(mountpoint: string, device: string, driver: FsDriver, readOnly: boolean): Mount {
    let mp = '/';
    if (mountpoint !== '/' || this.mounts.size > 0) {
      const loc = this.resolve(mountpoint, true);
      if (!isDir(loc.mount.driver.getattr(loc.ino).mode)) throw fail('ENOTDIR', mountpoint);
      mp = loc.path;
    }
    if (this.mounts.has(mp)) throw new FsError('EBUSY', `${mountpoint}: a filesystem is already mounted here`);
    // Two drivers on one device must not both be able to write it; read-only ones may share it
    // (btrfs subvolumes of one device mounted at several places).
    for (const m of this.mounts.values()) {
      if (m.device === device && !(m.readOnly && readOnly)) throw new FsError('EBUSY', `${device}: device is already mounted on ${m.mountpoint}`);
    }
    const m: Mount = { id: this.nextId++, device, mountpoint: mp, driver, readOnly };
    this.mounts.set(mp, m);
    return m;
  }

  /** Unmounts by mountpoint or device; returns the mount removed. */
  umount(target: string): Mount {
    const m = [...this.mounts.values()].find((x) => x.mountpoint === target || x.device === target)
      ?? (target !== '/' ? this.mounts.get(target.replace(/\/+$/, '')) : undefined);
    if (!m) throw new FsError('EINVAL', `${target}: not mounted`);
    for (const other of this.mounts.values()) {
      if (other !== m && other.mountpoint.startsWith(m.mountpoint === '/' ? '/' : m.mountpoint + '/')) {
        throw new FsError('EBUSY', `${target}: target is busy (${other.mountpoint} is mounted below it)`);
      }
    }
    this.mounts.delete(m.mountpoint);
    return m;
  }

  /** Mounts, deepest first: the order in which they can be unmounted. */
  list(): Mount[] {
    return [...this.mounts.values()].sort((a, b) => b.mountpoint.length - a.mountpoint.length);
  }

  /** Mounts in the order they were mounted. */
  inOrder(): Mount[] {
    return [...this.mounts.values()].sort((a, b) => a.id - b.id);
  }

  private root(): Mount {
    const r = this.mounts.get('/');
    if (!r) throw new FsError('EINVAL', "no filesystem is mounted on /: call 'mount' first (or use -m / -i)");
    return r;
  }

  private walk(path: string, followLast: boolean): Frame[] {
    if (!path.startsWith('/')) throw new FsError('EINVAL', `${path}: path must start with a / character`);
    const rootMount = this.root();
    const rootFrame: Frame = { name: '', mount: rootMount, ino: rootMount.driver.rootIno };
    let stack: Frame[] = [rootFrame];
    let parts = splitPath(path);
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift()!;
      if (part === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const top = stack[stack.length - 1]!;
      const driver = top.mount.driver;
      if (!isDir(driver.getattr(top.ino).mode)) throw fail('ENOTDIR', path);
      let ino: number;
      try {
        ino = driver.lookup(top.ino, part);
      } catch (e) {
        throw pathError(path, e);
      }
      const here = canonical(stack) === '/' ? `/${part}` : `${canonical(stack)}/${part}`;
      const mounted = this.mounts.get(here);
      if (mounted) {
        stack.push({ name: part, mount: mounted, ino: mounted.driver.rootIno });
        continue;
      }
      const attr = driver.getattr(ino);
      if (isLnk(attr.mode) && (parts.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) throw fail('ELOOP', path);
        const target = driver.readlink(ino);
        if (target.startsWith('/')) stack = [rootFrame];
        parts = [...splitPath(target), ...parts];
        continue;
      }
      stack.push({ name: part, mount: top.mount, ino });
    }
    return stack;
  }

  resolve(path: string, follow = true): Location {
    const stack = this.walk(path, follow);
    const top = stack[stack.length - 1]!;
    return { mount: top.mount, ino: top.ino, path: canonical(stack) };
  }

  /** The directory that holds `path`'s last component, and that component. */
  parentOf(path: string): { dir: Location; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (!name || name === '..') throw new FsError('EINVAL', `${path}: not a valid name for a new entry`);
    const dir = this.resolve('/' + parts.join('/'), true);
    if (!isDir(dir.mount.driver.getattr(dir.ino).mode)) throw fail('ENOTDIR', path);
    return { dir, name };
  }

  private writable(loc: Location, path: string): FsDriver {
    if (loc.mount.readOnly) throw fail('EROFS', path);
    return loc.mount.driver;
  }

  /** Looks up an entry in a directory without following it; undefined when absent. */
  private lookupOpt(dir: Location, name: string): number | undefined {
    try {
      return dir.mount.driver.lookup(dir.ino, name);
    } catch (e) {
      if (e instanceof FsError && e.errno === 'ENOENT') return undefined;
      throw e;
    }
  }

  private guard<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FsError && e.message.startsWith(path + ':')) throw e;
      if (e instanceof FsError && e.message.startsWith('/')) throw e;
      throw pathError(path, e);
    }
  }

  // ---- reading ----

  stat(path: string, follow = true): StatResult {
    return this.guard(path, () => {
      const loc = this.resolve(path, follow);
      return { ...loc.mount.driver.getattr(loc.ino), dev: sdDevNumber(loc.mount.device) };
    });
  }

  exists(path: string): boolean {
    try {
      this.resolve(path, true);
      return true;
    } catch (e) {
      if (e instanceof FsError && (e.errno === 'ENOENT' || e.errno === 'ENOTDIR' || e.errno === 'ELOOP')) return false;
      throw e;
    }
  }

  /** Names in a directory (no '.' or '..'), unsorted. */
  readdir(path: string): string[] {
    return this.readdirTyped(path).map((e) => e.name);
  }

  readdirTyped(path: string): { name: string; ino: number; type: number }[] {
    return this.guard(path, () => {
      const loc = this.resolve(path, true);
      if (!isDir(loc.mount.driver.getattr(loc.ino).mode)) throw fail('ENOTDIR', path);
      return loc.mount.driver.readdir(loc.ino);
    });
  }

  /**
   * One directory's entries with their lstat, and symlink targets: the bulk call
   * that ls -l, find and diff walk with (one request per directory). Entries that
   * are mountpoints report the mounted root.
   */
  readdirPlus(path: string): { name: string; attr: StatResult; link?: string }[] {
    const out: { name: string; attr: StatResult; link?: string }[] = [];
    this.visitEntries(path, (name, attr, dev, link) => {
      out.push(link === undefined ? { name, attr: { ...attr, dev } } : { name, attr: { ...attr, dev }, link });
    });
    return out;
  }

  /**
   * readdirPlus as a visit of each entry (its attributes, its device number, a
   * symlink's target unless `links` is false), for callers that pack the
   * results instead of keeping an object per entry.
   */
  visitEntries(path: string, visit: (name: string, attr: Attr, dev: number, link: string | undefined) => void, links = true): void {
    this.guard(path, () => {
      const loc = this.resolve(path, true);
      const driver = loc.mount.driver;
      if (!isDir(driver.getattr(loc.ino).mode)) throw fail('ENOTDIR', path);
      const dev = sdDevNumber(loc.mount.device);
      const prefix = loc.path === '/' ? '/' : `${loc.path}/`;
      // with one mount, no entry can be another mount's mountpoint
      const others = this.mounts.size > 1;
      for (const e of driver.readdir(loc.ino)) {
        const mounted = others ? this.mounts.get(prefix + e.name) : undefined;
        if (mounted) {
          visit(e.name, mounted.driver.getattr(mounted.driver.rootIno), sdDevNumber(mounted.device), undefined);
          continue;
        }
        const attr = driver.getattr(e.ino);
        visit(e.name, attr, dev, links && isLnk(attr.mode) ? driver.readlink(e.ino) : undefined);
      }
    });
  }

  read(path: string, offset: number, length: number): Uint8Array {
    return this.guard(path, () => {
      const loc = this.resolve(path, true);
      const attr = loc.mount.driver.getattr(loc.ino);
      if (isDir(attr.mode)) throw fail('EISDIR', path);
      const n = Math.max(0, Math.min(length, attr.size - offset));
      return n === 0 ? new Uint8Array(0) : loc.mount.driver.read(loc.ino, offset, n);
    });
  }

  readlink(path: string): string {
    return this.guard(path, () => {
      const loc = this.resolve(path, false);
      const attr = loc.mount.driver.getattr(loc.ino);
      if (!isLnk(attr.mode)) throw fail('EINVAL', path);
      return loc.mount.driver.readlink(loc.ino);
    });
  }

  /**
   * statvfs of the filesystem holding PATH, with the mount's flags as the appliance
   * mounts them (relatime, plus read-only for mount-ro), and the device it is on.
   */
  statvfs(path: string): StatVfs & { device: string } {
    return this.guard(path, () => {
      const { mount } = this.resolve(path, true);
      const st = mount.driver.statfs();
      return { ...st, flag: (mount.readOnly ? ST_RDONLY : 0) | ST_RELATIME, device: mount.device };
    });
  }

  // ---- writing ----

  /** write / write-append: creates the file (0644) when missing, follows symlinks. */
  writeFile(path: string, data: Uint8Array, append: boolean): void {
    this.guard(path, () => {
      let ino: number, mount: Mount;
      const { dir, name } = this.parentOf(path);
      const existing = this.lookupOpt(dir, name);
      if (existing === undefined) {
        const driver = this.writable(dir, path);
        ino = driver.create(dir.ino, name, NEW_FILE_MODE & ~this.mask, 0, 0);
        mount = dir.mount;
      } else {
        const loc = this.resolve(path, true);
        mount = loc.mount;
        ino = loc.ino;
      }
      const driver = this.writable({ mount, ino, path }, path);
      const attr = driver.getattr(ino);
      if (isDir(attr.mode)) throw fail('EISDIR', path);
      if (append) {
        driver.write(ino, attr.size, data);
      } else {
        driver.truncate(ino, 0);
        if (data.length > 0) driver.write(ino, 0, data);
      }
    });
  }

  /** Writes a chunk at an offset of an existing file (upload streams through this). */
  writeAt(path: string, offset: number, data: Uint8Array): void {
    this.guard(path, () => {
      const loc = this.resolve(path, true);
      this.writable(loc, path).write(loc.ino, offset, data);
    });
  }

  truncate(path: string, size: number): void {
    this.guard(path, () => {
      const loc = this.resolve(path, true);
      this.writable(loc, path).truncate(loc.ino, size);
    });
  }

  touch(path: string, nowSec: number): void {
    this.guard(path, () => {
      const { dir, name } = this.parentOf(path);
      if (this.lookupOpt(dir, name) === undefined) {
        this.writable(dir, path).create(dir.ino, name, NEW_FILE_MODE & ~this.mask, 0, 0);
        return;
      }
      const loc = this.resolve(path, true);
      const t = { sec: nowSec, nsec: 0 };
      this.writable(loc, path).setattr(loc.ino, { atime: t, mtime: t });
    });
  }

  mkdir(path: string, mode = NEW_DIR_MODE & ~this.mask): void {
    this.guard(path, () => {
      const { dir, name } = this.parentOf(path);
      if (this.lookupOpt(dir, name) !== undefined) throw fail('EEXIST', path);
      this.writable(dir, path).mkdir(dir.ino, name, mode, 0, 0);
    });
  }

  mkdirP(path: string): void {
    const parts = splitPath(path);
    let sofar = '';
    for (const part of parts) {
      sofar += '/' + part;
      if (this.exists(sofar)) {
        if (!isDir(this.stat(sofar).mode)) throw fail('ENOTDIR', path);
        continue;
      }
      this.mkdir(sofar);
    }
  }

  /** rm: removes a non-directory (the entry itself, not a symlink's target). */
  rm(path: string): void {
    this.guard(path, () => {
      const { dir, name } = this.parentOf(path);
      const ino = this.lookupOpt(dir, name);
      if (ino === undefined) throw fail('ENOENT', path);
      if (isDir(dir.mount.driver.getattr(ino).mode)) throw fail('EISDIR', path);
      this.writable(dir, path).unlink(dir.ino, name);
    });
  }

  rmdir(path: string): void {
    this.guard(path, () => {
      const { dir, name } = this.parentOf(path);
      const ino = this.lookupOpt(dir, name);
      if (ino === undefined) throw fail('ENOENT', path);
      if (this.isMountpoint(dir, name)) throw fail('EBUSY', path);
      if (!isDir(dir.mount.driver.getattr(ino).mode)) throw fail('ENOTDIR', path);
      this.writable(dir, path).rmdir(dir.ino, name);
    });
  }

  /** rm -rf: removes a tree; absent paths are not an error. */
  rmRf(path: string): void {
    this.guard(path, () => {
      const { dir, name } = this.parentOf(path);
      const ino = this.lookupOpt(dir, name);
      if (ino === undefined) return;
      if (this.isMountpoint(dir, name)) throw fail('EBUSY', path);
      this.removeTree(dir, name, ino, path);
    });
  }

  private isMountpoint(dir: Location, name: string): boolean {
    return this.mounts.has(dir.path === '/' ? `/${name}` : `${dir.path}/${name}`);
  }

  private removeTree(dir: Location, name: string, ino: number, path: string): void {
    const driver = this.writable(dir, path);
    if (!isDir(driver.getattr(ino).mode)) {
      driver.unlink(dir.ino, name);
      return;
    }
    const self: Location = { mount: dir.mount, ino, path: dir.path === '/' ? `/${name}` : `${dir.path}/${name}` };
    for (const e of driver.readdir(ino)) {
      if (this.isMountpoint(self, e.name)) throw fail('EBUSY', `${self.path}/${e.name}`);
      this.removeTree(self, e.name, e.ino, `${self.path}/${e.name}`);
    }
    driver.rmdir(dir.ino, name);
  }

  chmod(path: string, mode: number): void {
    this.guard(path, () => {
      const loc = this.resolve(path, true);
      this.writable(loc, path).setattr(loc.ino, { mode: mode & 0o7777 });
    });
  }

  chown(path: string, uid: number, gid: number, follow = true): void {
    this.guard(path, () => {
      const loc = this.resolve(path, follow);
      const set: { uid?: number; gid?: number } = {};
      if (uid !== -1) set.uid = uid;
      if (gid !== -1) set.gid = gid;
      this.writable(loc, path).setattr(loc.ino, set);
    });
  }

  setTimes(path: string, atime: { sec: number; nsec: number }, mtime: { sec: number; nsec: number }, follow = true): void {
    this.guard(path, () => {
      const loc = this.resolve(path, follow);
      this.writable(loc, path).setattr(loc.ino, { atime, mtime });
    });
  }

  symlink(target: string, linkPath: string): void {
    this.guard(linkPath, () => {
      const { dir, name } = this.parentOf(linkPath);
      if (this.lookupOpt(dir, name) !== undefined) throw fail('EEXIST', linkPath);
      this.writable(dir, linkPath).symlink(dir.ino, name, target, 0, 0);
    });
  }

  link(target: string, linkPath: string): void {
    this.guard(linkPath, () => {
      const src = this.resolve(target, false);
      const { dir, name } = this.parentOf(linkPath);
      if (src.mount !== dir.mount) throw fail('EXDEV', linkPath);
      if (this.lookupOpt(dir, name) !== undefined) throw fail('EEXIST', linkPath);
      if (isDir(src.mount.driver.getattr(src.ino).mode)) throw fail('EPERM', target);
      this.writable(dir, linkPath).link(src.ino, dir.ino, name);
    });
  }

  /** The destination of cp/mv: into DEST when it is a directory, else DEST itself. */
  private destination(src: string, dest: string): string {
    if (this.exists(dest) && isDir(this.stat(dest).mode)) {
      const base = splitPath(src).pop() ?? '';
      return dest.replace(/\/+$/, '') + '/' + base;
    }
    return dest;
  }

  /** cp: copies one regular file (mode kept, owned by root), as cp(1) without options. */
  cp(src: string, dest: string): void {
    const target = this.destination(src, dest);
    const st = this.stat(src);
    if (isDir(st.mode)) throw new FsError('EISDIR', `${src}: omitting directory (is a directory)`);
    this.guard(target, () => {
      if (!this.exists(target)) return;
      const from = this.resolve(src), to = this.resolve(target);
      if (to.ino === from.ino && to.mount === from.mount) throw new FsError('EINVAL', `${src} and ${target} are the same file`);
    });
    this.copyFile(src, target, st.mode & 0o7777, st.size);
  }

  private copyFile(src: string, target: string, mode: number, size: number): void {
    this.guard(target, () => {
      const { dir, name } = this.parentOf(target);
      let ino = this.lookupOpt(dir, name);
      let mount = dir.mount;
      if (ino === undefined) {
        ino = this.writable(dir, target).create(dir.ino, name, mode, 0, 0);
      } else {
        const loc = this.resolve(target, true);
        ino = loc.ino;
        mount = loc.mount;
        if (isDir(mount.driver.getattr(ino).mode)) throw fail('EISDIR', target);
      }
      const out = this.writable({ mount, ino, path: target }, target);
      out.truncate(ino, 0);
      const CHUNK = 4 << 20;
      for (let off = 0; off < size; off += CHUNK) {
        out.write(ino, off, this.read(src, off, Math.min(CHUNK, size - off)));
      }
    });
  }

  /** mv: rename within a filesystem; a regular file or symlink across filesystems is copied then removed. */
  mv(src: string, dest: string): void {
    const target = this.destination(src, dest);
    this.guard(src, () => {
      const from = this.parentOf(src);
      const fromIno = this.lookupOpt(from.dir, from.name);
      if (fromIno === undefined) throw fail('ENOENT', src);
      if (this.isMountpoint(from.dir, from.name)) throw fail('EBUSY', src);
      const to = this.parentOf(target);
      if (to.dir.mount === from.dir.mount) {
        const srcAttr = from.dir.mount.driver.getattr(fromIno);
        if (isDir(srcAttr.mode) && (to.dir.path + '/').startsWith(this.resolve(src, false).path + '/')) {
          throw new FsError('EINVAL', `${src}: cannot move a directory into itself`);
        }
        this.writable(to.dir, target).rename(from.dir.ino, from.name, to.dir.ino, to.name);
        return;
      }
      const attr = from.dir.mount.driver.getattr(fromIno);
      if (isLnk(attr.mode)) {
        this.symlink(from.dir.mount.driver.readlink(fromIno), target);
      } else if (isReg(attr.mode)) {
        this.copyFile(src, target, attr.mode & 0o7777, attr.size);
      } else {
        throw fail('EXDEV', src);
      }
      this.writable(from.dir, src).unlink(from.dir.ino, from.name);
    });
  }

  flushAll(): void {
    for (const m of this.mounts.values()) if (!m.readOnly) m.driver.flush();
  }
}
