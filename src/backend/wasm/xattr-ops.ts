/**
 * The fs worker's extended-attribute reads (getxattr, getxattrs, lgetxattrs,
 * lxattrlist), from drivers that read them (FsDriver.listxattrs: btrfs). Lists
 * come sorted by name, as the appliance's getfattr prints them; a filesystem
 * whose driver does not read xattrs is ENOTSUP naming it, which the command
 * turns into the "not supported by the wasm backend" error (auto then moves the
 * session to the appliance).
 */
import { FsError, type Xattr } from '../../fs/fs-driver.js';
import type { Vfs } from '../../fs/vfs.js';

export interface XattrOps {
  /** The xattrs of PATH (FOLLOW: through a final symlink), sorted by name. */
  xattrs(path: string, follow: boolean): Xattr[];
  /** The xattrs of each of NAMES in directory DIR (not followed); [] where a name cannot be read. */
  xattrList(dir: string, names: string[]): Xattr[][];
}

const utf8 = new TextEncoder();
const byName = (a: Xattr, b: Xattr) => Buffer.compare(utf8.encode(a.name), utf8.encode(b.name));

export function xattrOps(vfs: Vfs): XattrOps {
  const list = (path: string, follow: boolean): Xattr[] => {
    vfs.stat(path, follow); // a missing path fails here, worded as every other call words it
    const loc = vfs.resolve(path, follow);
    const driver = loc.mount.driver;
    if (!driver.listxattrs) {
      throw new FsError('ENOTSUP', `${path}: extended attributes of ${driver.type} filesystems`);
    }
    return driver.listxattrs(loc.ino).sort(byName);
  };
  return {
    xattrs: list,
    xattrList(dir, names) {
      return names.map((n) => {
        try {
          return list(dir === '/' ? `/${n}` : `${dir}/${n}`, false);
        } catch (e) {
          if (e instanceof FsError && e.errno !== 'ENOTSUP') return [];
          throw e;
        }
      });
    },
  };
}
