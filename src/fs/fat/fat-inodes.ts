/** The inode table of a FAT volume. */
import { FsError } from '../fs-driver.js';
import { foldKey } from './fat-names.js';
import { FatFsSession } from './fatfs-session.js';

export interface Node {
  parent: number;
  name: string;
  /** foldKey(name), kept: getattr of every entry of a listing looks its entry up by it. */
  key: string;
  dir: boolean;
}

/**
 * Inode numbers for a filesystem that has none: root = 1 (like Linux's
 * MSDOS_ROOT_INO), then one number per (parent, name) as names are met,
 * kept across rename and dropped on unlink/rmdir; names compared
 * ASCII-case-insensitively.
 */
export abstract class FatInodes extends FatFsSession {
  protected readonly nodes = new Map<number, Node>([[1, { parent: 1, name: '', key: '', dir: true }]]);
  private readonly children = new Map<number, Map<string, number>>();
  private nextIno = 2;

  /** What the layers above keep about an inode that is gone (its open file, its listing). */
  protected abstract nodeRemoved(ino: number): void;

  protected node(ino: number): Node {
    const n = this.nodes.get(ino);
    if (!n) throw new FsError('ENOENT', `inode ${ino} does not exist`);
    return n;
  }

  protected dirNode(ino: number): Node {
    const n = this.node(ino);
    if (!n.dir) throw new FsError('ENOTDIR', `inode ${ino} is not a directory`);
    return n;
  }

  /** FatFs path of an inode: "N:/a/b" ("N:/" for the root). */
  protected fullPath(ino: number): string {
    const parts: string[] = [];
    let i = ino;
    while (i !== 1) {
      const n = this.node(i);
      parts.push(n.name);
      i = n.parent;
    }
    return `${this.drive}/${parts.reverse().join('/')}`;
  }

  protected childPath(dir: number, name: string): string {
    const p = this.fullPath(dir);
    return p.endsWith('/') ? p + name : `${p}/${name}`;
  }

  protected cachedChild(dir: number, name: string): number | undefined {
    return this.children.get(dir)?.get(foldKey(name));
  }

  protected addNode(dir: number, name: string, isDir: boolean): number {
    const key = foldKey(name);
    let m = this.children.get(dir);
    if (!m) this.children.set(dir, (m = new Map()));
    const old = m.get(key);
    if (old !== undefined) {
      const n = this.nodes.get(old)!;
      if (n.dir === isDir) {
        n.name = name;
        n.key = key;
        return old;
      }
      this.removeNode(old);
    }
    const ino = this.nextIno++;
    this.nodes.set(ino, { parent: dir, name, key, dir: isDir });
    m.set(key, ino);
    return ino;
  }

  protected removeNode(ino: number): void {
    const n = this.nodes.get(ino);
    if (!n) return;
    this.children.get(n.parent)?.delete(n.key);
    this.nodes.delete(ino);
    this.nodeRemoved(ino);
    const kids = this.children.get(ino);
    if (kids) {
      this.children.delete(ino);
      for (const k of kids.values()) this.removeNode(k);
    }
  }

  protected moveNode(ino: number, dir: number, name: string): void {
    const n = this.node(ino);
    this.children.get(n.parent)?.delete(n.key);
    n.parent = dir;
    n.name = name;
    n.key = foldKey(name);
    let m = this.children.get(dir);
    if (!m) this.children.set(dir, (m = new Map()));
    m.set(n.key, ino);
  }

  protected isAncestor(a: number, ino: number): boolean {
    for (let i = ino; ; i = this.node(i).parent) {
      if (i === a) return true;
      if (i === 1) return false;
    }
  }
}
