/**
 * The guest's tree as a sysprep plan leaves it: what planned writes changed,
 * above the tree as it is (read from the real handle). A path the plan removed
 * hides everything under it; a file the plan wrote has its new content; a
 * directory the plan created (there was none: the plan only makes new ones)
 * shows only what the plan put in it. Paths are compared as written (lexically): symlinks are followed
 * by the real handle only.
 */

/** What the plan put at a path. */
export type PlannedNode =
  | { kind: 'gone' }
  | { kind: 'file'; data: Buffer }
  | { kind: 'dir' };

/** The answer for one path: a planned node, or 'real' (ask the real tree). */
export type PlannedView = PlannedNode | { kind: 'real' };

/** '/a//b/' → '/a/b'; paths are absolute (the command table's Pathname kind checked that). */
export function normalPath(p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return `/${parts.join('/')}`;
}

export const parentOf = (p: string): string => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const under = (p: string, dir: string): boolean => (dir === '/' ? p !== '/' : p.startsWith(`${dir}/`));

export class PlannedTree {
  private readonly nodes = new Map<string, PlannedNode>();

  /** What the plan says about PATH (normalised): its own node, or 'gone' when an ancestor hides it. */
  view(path: string): PlannedView {
    const own = this.nodes.get(path);
    if (own) return own;
    // a removed or written ancestor, or a created directory without this child: nothing here
    for (let a = path; a !== '/'; ) {
      a = parentOf(a);
      if (this.nodes.has(a)) return { kind: 'gone' };
    }
    return { kind: 'real' };
  }

  /** PATH and everything under it removed. */
  remove(path: string): void {
    for (const k of [...this.nodes.keys()]) if (under(k, path)) this.nodes.delete(k);
    this.nodes.set(path, { kind: 'gone' });
  }

  setFile(path: string, data: Buffer): void {
    this.nodes.set(path, { kind: 'file', data });
  }

  /** A directory made where there was none, so nothing of the real tree shows under it. */
  makeDir(path: string): void {
    this.nodes.set(path, { kind: 'dir' });
  }

  /** The planned nodes directly under DIR that exist: name → node. */
  childrenOf(dir: string): Map<string, PlannedNode> {
    const out = new Map<string, PlannedNode>();
    for (const [k, n] of this.nodes) if (parentOf(k) === dir && k !== '/') out.set(k.slice(dir === '/' ? 1 : dir.length + 1), n);
    return out;
  }

  /** Every planned node under DIR (any depth): path → node. */
  descendantsOf(dir: string): Map<string, PlannedNode> {
    const out = new Map<string, PlannedNode>();
    for (const [k, n] of this.nodes) if (under(k, dir)) out.set(k, n);
    return out;
  }
}
