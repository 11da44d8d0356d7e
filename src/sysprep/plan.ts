/**
 * A sysprep plan: the filesystem operations run against a handle whose reads
 * are real (the guest mounted read-only, in process) and whose writes are only
 * recorded, in order, to be applied later in one batch where the guest's
 * filesystems can be written. Reads after a planned write answer as if it had
 * happened (PlannedTree), and a write the real call would refuse (rm of a
 * missing file, write under a missing directory) fails here with the error the
 * real call gives, and is not recorded.
 *
 * Only the commands below are modelled. Anything else raises PlanUnsupported
 * and marks the plan so: the caller then runs the operations the ordinary way
 * (nothing has been written yet). sh is recorded as a write (it is the CA store
 * update, the very last thing a run does); any read after it is unsupported.
 */
import type { Guestfs } from '../core/guestfs.js';
import type { CallItem, CallResult } from '../api/types.js';
import type { BackendCapabilities } from '../backend/capabilities.js';
import { findCommand } from '../api/commands.js';
import { ErrnoError, GuestkitError, type GuestkitCode } from '../errors/index.js';
import { strerror } from '../errors/errno.js';
import { byteOrder } from '../util/byte-order.js';
import { normalPath, parentOf, PlannedTree } from './plan-tree.js';

/** A command the plan cannot model was called: not a guest error (ignoringGuestErrors must not swallow it). */
export class PlanUnsupported extends Error {
  constructor(readonly reason: string) {
    super(`the sysprep plan cannot model ${reason}`);
    this.name = 'PlanUnsupported';
  }
}

/** One planned write: a command of the table with its arguments, and the operation that asked for it. */
export interface PlannedStep {
  name: string;
  args: unknown[];
  optargs?: Record<string, unknown>;
  op: string;
  /** The path it writes, symlinks resolved as the guest resolves them (which filesystem it lands on); absent for sh. */
  at?: string;
}

/** The commands that follow a symlink in the last component of the path they write. */
const FOLLOWS: ReadonlySet<string> = new Set(['write', 'write-append', 'touch', 'truncate', 'chmod', 'chown']);

type Kind = 'absent' | 'file' | 'dir' | 'other';

const errno = (code: GuestkitCode, path: string, command: string) => new ErrnoError(code, `${path}: ${strerror(code)}`, { command });

const S_IFMT = 0o170000;
const kindOfMode = (mode: number): Kind => ((mode & S_IFMT) === 0o100000 ? 'file' : (mode & S_IFMT) === 0o040000 ? 'dir' : 'other');

/** read-lines of a file's bytes: lines split at LF, a trailing CR dropped, no empty last line for a final LF. */
function splitLines(data: Buffer): string[] {
  if (data.length === 0) return [];
  const lines = data.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export class SysprepPlan {
  readonly steps: PlannedStep[] = [];
  readonly tree = new PlannedTree();
  /** Why the plan could not be made (set with the first PlanUnsupported). */
  unsupported?: string;
  /** The operation running now: planned steps are attributed to it (for the apply phase's errors). */
  currentOp = '';
  /** A recorded command after which the tree is unknown (sh). */
  private opaque?: string;

  /** The handle the operations use: `real`'s methods, with call and callMany answered by the plan. */
  readonly handle: Guestfs;

  constructor(private readonly real: Guestfs, capabilities: BackendCapabilities) {
    const plan = this;
    this.handle = Object.create(real, {
      call: { value: (name: string, args: unknown[], optargs: Record<string, unknown> = {}) => plan.call(name, args, optargs) },
      callMany: { value: (calls: readonly CallItem[]) => plan.callMany(calls) },
      // what the operations may count on: the capabilities of the backend that applies the plan
      capabilities: { get: () => capabilities },
    }) as Guestfs;
  }

  private refuse(reason: string): never {
    this.unsupported ??= reason;
    throw new PlanUnsupported(reason);
  }

  private async record(name: string, args: unknown[], optargs: Record<string, unknown>, path?: string): Promise<void> {
    const at = path === undefined ? undefined : await this.resolved(path, FOLLOWS.has(name));
    this.steps.push({ name, args, ...(Object.keys(optargs).length ? { optargs } : {}), op: this.currentOp, ...(at ? { at } : {}) });
  }

  /**
   * Where PATH is in the guest: the deepest ancestor the real tree has (the path
   * itself when `follow`), symlinks resolved by the real handle, then the rest
   * as written (what the plan made holds no symlink).
   */
  private async resolved(path: string, follow: boolean): Promise<string> {
    let rest = follow ? '' : path.slice(path.lastIndexOf('/'));
    for (let p = follow ? path : parentOf(path); ; p = parentOf(p)) {
      if (p === '/') return rest || '/';
      if (this.tree.view(p).kind === 'real') {
        try {
          const real = normalPath((await this.real.call('realpath', [p])) as string);
          return real === '/' ? rest || '/' : `${real}${rest}`;
        } catch (e) {
          if (!(e instanceof GuestkitError)) throw e;
        }
      }
      rest = `${p.slice(p.lastIndexOf('/'))}${rest}`;
    }
  }

  async callMany(calls: readonly CallItem[]): Promise<CallResult[]> {
    const results: CallResult[] = [];
    let stopped = false;
    for (const c of calls) {
      if (stopped) {
        results.push({ ok: false, error: new ErrnoError('ECANCELED', 'not run: an earlier call of the batch failed', { command: c.name }) });
        continue;
      }
      const op = this.currentOp;
      if (c.label) this.currentOp = c.label;
      try {
        results.push({ ok: true, value: await this.call(c.name, c.args, c.optargs ?? {}) });
      } catch (error) {
        if (error instanceof PlanUnsupported) throw error;
        results.push({ ok: false, error });
        if (c.fatal) stopped = true;
      } finally {
        this.currentOp = op;
      }
    }
    return results;
  }

  async call(name: string, args: unknown[], optargs: Record<string, unknown>): Promise<unknown> {
    const def = findCommand(name);
    if (!def) return this.real.call(name, args, optargs); // the real handle's error
    const cmd = def.name;
    if (this.opaque && !WRITES.has(cmd)) this.refuse(`${cmd} after ${this.opaque}`);
    const path = typeof args[0] === 'string' ? normalPath(args[0]) : '';
    try {
      switch (cmd) {
        case 'exists': return (await this.kind(path, true)) !== 'absent';
        case 'is-file': return (await this.kindOr(path, cmd, args, optargs)) === 'file';
        case 'is-dir': return (await this.kindOr(path, cmd, args, optargs)) === 'dir';
        case 'is-symlink': return this.tree.view(path).kind === 'real' ? await this.real.call(cmd, args, optargs) : false;
        case 'ls': return [...(await this.listing(path, cmd)).keys()].sort(byteOrder);
        case 'readdir': return await this.readdir(path);
        case 'find': return await this.find(path);
        case 'read-file': return new Uint8Array(await this.content(path, cmd));
        case 'cat': return (await this.content(path, cmd)).toString('utf8');
        case 'read-lines': return splitLines(await this.content(path, cmd));
        case 'statns': case 'lstatns': return await this.stat(path, cmd, args);
        default: return await this.write(cmd, path, args, optargs);
      }
    } catch (e) {
      // (an answer built from another real call, ls for readdir say, is this command's error)
      if (e instanceof GuestkitError) e.command = cmd;
      throw e;
    }
  }

  /** What is at PATH after the planned writes (symlinks followed by the real handle when `follow`). */
  private async kind(path: string, follow = false): Promise<Kind> {
    const v = this.tree.view(path);
    if (v.kind === 'gone') return 'absent';
    if (v.kind === 'file' || v.kind === 'dir') return v.kind;
    try {
      const st = (await this.real.call(follow ? 'statns' : 'lstatns', [path])) as Record<string, number>;
      return kindOfMode(st.st_mode!);
    } catch (e) {
      if (e instanceof GuestkitError) return 'absent';
      throw e;
    }
  }

  /** is-file / is-dir: the real call where the plan changed nothing (its optargs, followsymlinks, apply there). */
  private async kindOr(path: string, cmd: string, args: unknown[], optargs: Record<string, unknown>): Promise<Kind | undefined> {
    const v = this.tree.view(path);
    if (v.kind === 'real') return (await this.real.call(cmd, args, optargs)) === true ? (cmd === 'is-file' ? 'file' : 'dir') : undefined;
    return v.kind === 'gone' ? 'absent' : v.kind;
  }

  /**
   * DIR as a directory after the planned writes (ENOENT / ENOTDIR otherwise):
   * true when the real tree shows under it, false for a directory the plan made.
   */
  private showsReal(dir: string, cmd: string): boolean {
    const v = this.tree.view(dir);
    if (v.kind === 'gone') throw errno('ENOENT', dir, cmd);
    if (v.kind === 'file') throw errno('ENOTDIR', dir, cmd);
    return v.kind === 'real';
  }

  /** The names in DIR after the planned writes, from the real tree's names: name → planned node, or undefined for a real entry. */
  private withPlanned(dir: string, realNames: Iterable<string>): Map<string, 'file' | 'dir' | undefined> {
    const out = new Map<string, 'file' | 'dir' | undefined>();
    for (const n of realNames) out.set(n, undefined);
    for (const [name, n] of this.tree.childrenOf(dir)) {
      if (n.kind === 'gone') out.delete(name);
      else out.set(name, n.kind);
    }
    return out;
  }

  private async listing(dir: string, cmd: string): Promise<Map<string, 'file' | 'dir' | undefined>> {
    const real = this.showsReal(dir, cmd) ? ((await this.real.call('ls', [dir])) as string[]) : [];
    return this.withPlanned(dir, real);
  }

  private async readdir(dir: string): Promise<unknown> {
    const real = this.showsReal(dir, 'readdir') ? ((await this.real.call('readdir', [dir])) as { name: string }[]) : [];
    const isDot = (name: string) => name === '.' || name === '..';
    const realNames = new Set(real.map((e) => e.name).filter((name) => !isDot(name)));
    const names = this.withPlanned(dir, realNames);
    // a file or directory the plan made has no inode number yet
    for (const name of names.keys()) if (!realNames.has(name)) this.refuse(`readdir of ${dir} after a new entry was planned in it`);
    return real.filter((e) => isDot(e.name) || names.has(e.name));
  }

  private async find(dir: string): Promise<string[]> {
    const base = dir === '/' ? '' : dir;
    const rel = new Set<string>();
    if (this.showsReal(dir, 'find')) {
      for (const r of (await this.real.call('find', [dir])) as string[]) if (this.tree.view(`${base}/${r}`).kind !== 'gone') rel.add(r);
    }
    for (const [p, n] of this.tree.descendantsOf(dir)) if (n.kind !== 'gone' && this.tree.view(p).kind !== 'gone') rel.add(p.slice(base.length + 1));
    return [...rel].sort(byteOrder);
  }

  private async content(path: string, cmd: string): Promise<Buffer> {
    const v = this.tree.view(path);
    if (v.kind === 'file') return v.data;
    if (v.kind === 'gone') throw errno('ENOENT', path, cmd);
    if (v.kind === 'dir') throw errno('EISDIR', path, cmd);
    return Buffer.from((await this.real.call('read-file', [path])) as Uint8Array);
  }

  private async stat(path: string, cmd: string, args: unknown[]): Promise<unknown> {
    const v = this.tree.view(path);
    if (v.kind === 'real') return this.real.call(cmd, args);
    if (v.kind === 'gone') throw errno('ENOENT', path, cmd);
    // A planned file over a real one keeps the real one's inode and attributes, with its new size.
    const st = await this.real.call(cmd, args).catch(() => undefined) as Record<string, number> | undefined;
    if (!st || kindOfMode(st.st_mode!) !== v.kind) this.refuse(`${cmd} of ${path}, which the plan made`);
    return v.kind === 'file' ? { ...st, st_size: v.data.length } : st;
  }

  /** The parent of PATH must be a directory for a new entry. */
  private async needParent(path: string, cmd: string): Promise<void> {
    const k = await this.kind(parentOf(path), true);
    if (k === 'absent') throw errno('ENOENT', path, cmd);
    if (k !== 'dir') throw errno('ENOTDIR', path, cmd);
  }

  private async write(cmd: string, path: string, args: unknown[], optargs: Record<string, unknown>): Promise<unknown> {
    if (!WRITES.has(cmd)) this.refuse(cmd);
    const bytes = (x: unknown) => Buffer.from(x as string | Uint8Array);
    switch (cmd) {
      case 'rm': case 'rm-f': case 'rm-rf': {
        const k = await this.kind(path);
        if (k === 'absent') {
          if (cmd === 'rm') throw errno('ENOENT', path, cmd);
          return undefined; // nothing to remove
        }
        if (k === 'dir' && cmd !== 'rm-rf') throw errno('EISDIR', path, cmd);
        this.tree.remove(path);
        break;
      }
      case 'write': case 'write-append': case 'touch': {
        const k = await this.kind(path, true);
        if (k === 'dir') throw errno('EISDIR', path, cmd);
        if (k === 'other') this.refuse(`${cmd} of ${path}, which is not a regular file`);
        if (k === 'absent') await this.needParent(path, cmd);
        if (cmd === 'touch' && k === 'file') break; // only its times change
        const before = k === 'absent' ? Buffer.alloc(0) : cmd === 'write' ? undefined : await this.content(path, cmd);
        const data = cmd === 'write' ? bytes(args[1]) : cmd === 'write-append' ? Buffer.concat([before!, bytes(args[1])]) : before!;
        this.tree.setFile(path, data);
        break;
      }
      case 'truncate': {
        const k = await this.kind(path, true);
        if (k === 'absent') throw errno('ENOENT', path, cmd);
        if (k === 'dir') throw errno('EISDIR', path, cmd);
        if (k === 'other') this.refuse(`${cmd} of ${path}, which is not a regular file`);
        this.tree.setFile(path, Buffer.alloc(0));
        break;
      }
      case 'mkdir': case 'mkdir-p': {
        const chain = cmd === 'mkdir' ? [path] : path.split('/').filter(Boolean).map((_, i, a) => `/${a.slice(0, i + 1).join('/')}`);
        for (const p of chain) {
          const k = await this.kind(p, true);
          if (k === 'dir' && cmd === 'mkdir-p') continue;
          if (k !== 'absent') throw errno('EEXIST', p, cmd);
          await this.needParent(p, cmd);
          this.tree.makeDir(p);
        }
        break;
      }
      case 'chmod': case 'chown': {
        const target = normalPath(args[args.length - 1] as string);
        if ((await this.kind(target, true)) === 'absent') throw errno('ENOENT', target, cmd);
        await this.record(cmd, args, optargs, target);
        return undefined;
      }
      case 'sh':
        this.opaque = cmd;
        await this.record(cmd, args, optargs);
        return '';
    }
    await this.record(cmd, args, optargs, path);
    return undefined;
  }
}

/** The writes a plan records. */
const WRITES: ReadonlySet<string> = new Set(['rm', 'rm-f', 'rm-rf', 'write', 'write-append', 'touch', 'truncate', 'mkdir', 'mkdir-p', 'chmod', 'chown', 'sh']);

/** The guest path a planned step writes (symlinks resolved), or 'all' for sh, which may touch any filesystem. */
export function stepPath(step: PlannedStep): string {
  return step.at ?? 'all';
}

/** Whether an error is, or was caused by, the plan's refusal. */
export function isPlanUnsupported(e: unknown): boolean {
  for (let x = e; x; x = (x as { cause?: unknown }).cause) if (x instanceof PlanUnsupported) return true;
  return false;
}
