/**
 * The fs worker's operations for the file command families: disk usage, realpath,
 * pwrite, rename and recursive copies. Built on the Vfs's public operations, so
 * path resolution (symlinks inside the guest) and read-only checks stay in one place.
 */
import { FsError } from '../../fs/fs-driver.js';
import { isDir, isLnk, isReg, type StatResult, type Vfs } from '../../fs/vfs.js';

const child = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

export function fileOps(vfs: Vfs) {
  /** Copies one tree (cp -a keeps modes, owners and times; cp -r keeps modes only, as cp -rP). */
  function copyTree(src: string, dest: string, archive: boolean): void {
    const st = vfs.stat(src, false);
    if (isDir(st.mode)) {
      if (!vfs.exists(dest)) vfs.mkdir(dest, st.mode & 0o7777);
      for (const e of vfs.readdirPlus(src)) copyTree(child(src, e.name), child(dest, e.name), archive);
      vfs.chmod(dest, st.mode & 0o7777);
    } else if (isLnk(st.mode)) {
      vfs.symlink(vfs.readlink(src), dest);
    } else if (isReg(st.mode)) {
      vfs.cp(src, dest);
      vfs.chmod(dest, st.mode & 0o7777);
    } else {
      throw new FsError('ENOTSUP', `${src}: copying special files is not supported by the wasm backend: use --backend=appliance`);
    }
    if (archive) {
      vfs.chown(dest, st.uid, st.gid, false);
      if (!isLnk(st.mode)) vfs.setTimes(dest, st.atime, st.mtime, false);
    }
  }

  return {
    /** du -s: KiB of allocated blocks below PATH, each inode counted once. */
    du(path: string): number {
      const seen = new Set<string>();
      let blocks = 0;
      const add = (s: StatResult) => {
        const key = `${s.dev}:${s.ino}`;
        if (seen.has(key)) return;
        seen.add(key);
        blocks += s.blocks;
      };
      const walk = (dir: string) => {
        for (const e of vfs.readdirPlus(dir)) {
          add(e.attr);
          if (isDir(e.attr.mode)) walk(child(dir, e.name));
        }
      };
      const top = vfs.stat(path, true);
      add(top);
      if (isDir(top.mode)) walk(path);
      return Math.ceil(blocks / 2);
    },
    realpath(path: string): string {
      vfs.stat(path, true);
      return vfs.resolve(path, true).path;
    },
    /** pwrite(2) into an existing regular file. */
    pwrite(path: string, offset: number, data: Uint8Array): void {
      const st = vfs.stat(path, true);
      if (isDir(st.mode)) throw new FsError('EISDIR', `${path}: Is a directory`);
      vfs.writeAt(path, offset, data);
    },
    /** rename(2): NEW is replaced (never entered, unlike mv); a directory only replaces an empty directory. */
    rename(from: string, to: string): void {
      const src = vfs.stat(from, false);
      if (vfs.exists(to) || isLnk(safeLstatMode(vfs, to))) {
        const dst = vfs.stat(to, false);
        if (isDir(dst.mode) && !isDir(src.mode)) throw new FsError('EISDIR', `rename: ${from}: ${to}: Is a directory`);
        if (!isDir(dst.mode) && isDir(src.mode)) throw new FsError('ENOTDIR', `rename: ${from}: ${to}: Not a directory`);
        if (isDir(dst.mode)) vfs.rmdir(to);
      }
      vfs.mv(from, to);
    },
    copyTree(src: string, dest: string, archive: boolean): void {
      const st = vfs.stat(src, true);
      // cp -a / cp -r into an existing directory copy SRC inside it.
      const target = vfs.exists(dest) && isDir(vfs.stat(dest).mode) ? child(dest, src.split('/').filter(Boolean).pop() ?? '') : dest;
      if (isDir(st.mode) && (target + '/').startsWith(vfs.resolve(src).path + '/')) {
        throw new FsError('EINVAL', `${src}: cannot copy a directory into itself`);
      }
      copyTree(src, target, archive);
    },
  };
}

function safeLstatMode(vfs: Vfs, path: string): number {
  try {
    return vfs.stat(path, false).mode;
  } catch {
    return 0;
  }
}

export type FileOps = ReturnType<typeof fileOps>;
