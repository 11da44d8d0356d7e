/**
 * Subvolumes as the root tree records them: ROOT_ITEMs (where each tree is),
 * ROOT_BACKREFs (the parent subvolume, directory and name of each), and the
 * default subvolume (the DIR_ITEM "default" in the root tree's directory 6).
 */
import { FsError } from '../fs-driver.js';
import { ITEM, OBJ, decodeName, parseDirItems, parseInodeRefs, parseRootItem, parseRootRef, type RootItem } from './items.js';
import { corrupt } from './superblock.js';
import type { TreeReader, TreeRoot } from './tree.js';

export interface SubvolumeRef {
  id: number;
  parent: number;
  /** Directory in the parent subvolume holding it. */
  dirid: number;
  name: string;
}

export interface SubvolumeInfo {
  id: number;
  topLevel: number;
  /** Path from the top level of the filesystem, e.g. "@/home". */
  path: string;
}

/** Deepest subvolume nesting or directory depth followed when building a path. */
const MAX_DEPTH = 4096;

export class Subvolumes {
  private readonly roots = new Map<number, RootItem | null>();

  constructor(private readonly reader: TreeReader, private readonly rootTree: TreeRoot) {}

  /** The newest ROOT_ITEM of a tree (snapshots carry their creation transid as key offset). */
  rootItem(id: number): RootItem | undefined {
    let hit = this.roots.get(id);
    if (hit === undefined) {
      const items = this.reader.items(this.rootTree, id, ITEM.ROOT_ITEM);
      hit = items.length ? parseRootItem(items[items.length - 1]!.data, id) : null;
      this.roots.set(id, hit);
    }
    return hit ?? undefined;
  }

  /** A filesystem tree (the top level 5 or a subvolume) as a tree to walk. */
  tree(id: number): { root: TreeRoot; item: RootItem } {
    const item = this.rootItem(id);
    if (!item) throw new FsError('ENOENT', `btrfs: subvolume ${id} does not exist`);
    return { root: { bytenr: item.bytenr, level: item.level, name: id === OBJ.FS_TREE ? 'top-level subvolume' : `subvolume ${id}` }, item };
  }

  /** The subvolume a plain mount shows. */
  defaultId(): number {
    for (const { data } of this.reader.items(this.rootTree, OBJ.ROOT_TREE_DIR, ITEM.DIR_ITEM)) {
      for (const d of parseDirItems(data, 'root tree directory')) {
        if (decodeName(d.name) === 'default') return d.location.objectid;
      }
    }
    return OBJ.FS_TREE;
  }

  /** Where subvolume `id` hangs: its ROOT_BACKREF (undefined for the top level or a deleted one). */
  backref(id: number): SubvolumeRef | undefined {
    const refs = this.reader.items(this.rootTree, id, ITEM.ROOT_BACKREF);
    if (!refs.length) return undefined;
    const { key, data } = refs[0]!;
    const r = parseRootRef(data, `subvolume ${id}`);
    return { id, parent: key.offset, dirid: r.dirid, name: decodeName(r.name) };
  }

  /** Whether the parent's ROOT_REF names `child` at (dirid, name): else the entry is a stale copy in a snapshot. */
  isChildAt(parent: number, child: number, dirid: number, name: Uint8Array): boolean {
    const refs = this.reader.items(this.rootTree, parent, ITEM.ROOT_REF, child, child);
    if (!refs.length) return false;
    const r = parseRootRef(refs[0]!.data, `subvolume ${child}`);
    return r.dirid === dirid && Buffer.compare(Buffer.from(r.name), Buffer.from(name)) === 0;
  }

  /**
   * Every subvolume and snapshot (not the top level), in ID order, with paths as
   * `btrfs subvolume list` prints them on a mount of subvolume `mounted`: relative to
   * it for the subvolumes below it, from the top level for the others.
   */
  list(mounted: number = OBJ.FS_TREE): SubvolumeInfo[] {
    const refs: SubvolumeRef[] = [];
    this.reader.walk(this.rootTree, { objectid: OBJ.FIRST_FREE, type: 0, offset: 0 }, (key, data) => {
      if (key.objectid > OBJ.LAST_FREE) return false;
      if (key.type !== ITEM.ROOT_BACKREF) return;
      const r = parseRootRef(data, `subvolume ${key.objectid}`);
      refs.push({ id: key.objectid, parent: key.offset, dirid: r.dirid, name: decodeName(r.name) });
    });
    const byId = new Map(refs.map((r) => [r.id, r]));
    const paths = new Map<number, string>();
    const pathOf = (id: number, depth: number): string => {
      if (id === OBJ.FS_TREE || (id === mounted && depth > 0)) return '';
      const known = paths.get(id);
      if (known !== undefined) return known;
      const r = byId.get(id);
      if (!r || depth > MAX_DEPTH) throw corrupt(`subvolume ${id} has no path to the top level`);
      const parent = pathOf(r.parent, depth + 1);
      const inDir = this.dirPath(r.parent, r.dirid);
      const p = [parent, inDir, r.name].filter((s) => s !== '').join('/');
      paths.set(id, p);
      return p;
    };
    return refs.sort((a, b) => a.id - b.id).map((r) => ({ id: r.id, topLevel: r.parent, path: pathOf(r.id, 0) }));
  }

  /** Path of directory `dirid` inside subvolume `subvol`, from its root directory ('' for the root). */
  dirPath(subvol: number, dirid: number): string {
    const { root, item } = this.tree(subvol);
    const parts: string[] = [];
    let ino = dirid;
    for (let depth = 0; ino !== item.rootDirid; depth++) {
      if (depth > MAX_DEPTH) throw corrupt(`subvolume ${subvol}: directory ${dirid} has no path to its root`);
      let next: { parent: number; name: string } | undefined;
      this.reader.walk(root, { objectid: ino, type: ITEM.INODE_REF, offset: 0 }, (key, data) => {
        if (key.objectid === ino && key.type === ITEM.INODE_REF) {
          const ref = parseInodeRefs(data, `inode ${ino}`)[0];
          if (ref) next = { parent: key.offset, name: decodeName(ref.name) };
        }
        return false;
      });
      if (!next || next.parent === ino) throw corrupt(`subvolume ${subvol}: directory ${ino} has no parent reference`);
      parts.unshift(next.name);
      ino = next.parent;
    }
    return parts.join('/');
  }
}
