/**
 * Augeas through our own WebAssembly build of augeas 1.14 (wasm/augeas:
 * build.sh, config.h, compat.c). Host-side, on top of either backend.
 *
 * The module has its own in-memory filesystem (emscripten MEMFS; never
 * NODERAWFS, so augeas cannot reach the host's files). The lenses of the
 * same augeas source are copied into it at /usr/share/augeas/lenses/dist
 * (augeas's default search path). The caller copies the guest files augeas
 * should see into the guest root (putFile), runs augeas, and after save()
 * copies what changed back to the guest (changedFiles + getFile).
 *
 * All paths given to the file helpers and to init() are GUEST paths
 * ("/etc/hosts"); inside the module they live under GUEST_MEMFS_ROOT.
 * Symbolic links are not modelled: put the files they point to.
 *
 * Errors: every augeas failure is an AugeasError (one line) carrying
 * augeas's own aug_error code, message, minor message and details, and,
 * where augeas keeps per-file errors under /augeas//error (parse or save
 * failures), those as well. A wasm abort or trap marks the module dead:
 * every later call throws instead of running on a broken heap.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { GuestkitError } from '../errors/index.js';
import { AbortGuard } from '../wasm/abort-guard.js';
import { instantiateEmscripten, readEmscriptenBuild, type EmscriptenBuild } from '../wasm/emscripten.js';
import { readCString } from '../wasm/heap.js';
import { wasmBuildDir } from '../wasm/package-root.js';

/** aug_init flags (augeas.h) */
export const AUG_NONE = 0;
export const AUG_SAVE_BACKUP = 1;
export const AUG_SAVE_NEWFILE = 2;
export const AUG_TYPE_CHECK = 4;
export const AUG_NO_STDINC = 8;
export const AUG_SAVE_NOOP = 16;
export const AUG_NO_LOAD = 32;
export const AUG_NO_MODL_AUTOLOAD = 64;
export const AUG_ENABLE_SPAN = 128;
/** internal: keep the handle after a failed init so its error can be read */
const AUG_NO_ERR_CLOSE = 256;

/** aug_errcode_t names, by value */
const AUG_ERRCODES = [
  'AUG_NOERROR', 'AUG_ENOMEM', 'AUG_EINTERNAL', 'AUG_EPATHX', 'AUG_ENOMATCH',
  'AUG_EMMATCH', 'AUG_ESYNTAX', 'AUG_ENOLENS', 'AUG_EMXFM', 'AUG_ENOSPAN',
  'AUG_EMVDESC', 'AUG_ECMDRUN', 'AUG_EBADARG', 'AUG_ELABEL', 'AUG_ECPDESC',
  'AUG_EFILEACCESS',
] as const;

/** Where the guest's files live inside the module's MEMFS. */
export const GUEST_MEMFS_ROOT = '/guest';
/** Where the lenses live inside the module's MEMFS (augeas's default). */
export const LENS_MEMFS_DIR = '/usr/share/augeas/lenses/dist';

/** One entry under /augeas//error: a file augeas could not parse or save. */
export interface AugeasFileError {
  /** The error node, e.g. /augeas/files/etc/fstab/error */
  node: string;
  /** The guest file, e.g. /etc/fstab ('' when the error is not about a file) */
  file: string;
  /** The error kind: parse_failed, put_failed, read_failed, ... */
  error: string;
  /** The first line of augeas's message */
  message: string;
  /** augeas's full message (may span lines) */
  fullMessage: string;
  /** Lens location, e.g. /usr/share/augeas/lenses/dist/fstab.aug:25.17-33.38: */
  lens?: string;
  /** Tree path a put failed at */
  path?: string;
  /** Parse failure position: character offset, line, character in line */
  pos?: number;
  line?: number;
  char?: number;
  /** One line: "/etc/fstab: parse_failed: message at line L, char C (lens …)" */
  summary: string;
}

export interface AugeasErrorInfo {
  /** aug_error(): numeric code and its name (AUG_EPATHX, …) */
  augCode: number;
  augCodeName: string;
  augMessage?: string;
  minorMessage?: string;
  details?: string;
  /** /augeas//error entries relevant to the failure (save, load) */
  files?: AugeasFileError[];
  cause?: unknown;
}

/** An augeas failure: one line, with augeas's own details as data. */
export class AugeasError extends GuestkitError {
  readonly augCode: number;
  readonly augCodeName: string;
  readonly augMessage?: string;
  readonly minorMessage?: string;
  readonly details?: string;
  readonly files: AugeasFileError[];
  constructor(message: string, info: AugeasErrorInfo) {
    super('EAUGEAS', oneLine(message), { cause: info.cause });
    this.name = 'AugeasError';
    this.augCode = info.augCode;
    this.augCodeName = info.augCodeName;
    this.augMessage = info.augMessage;
    this.minorMessage = info.minorMessage;
    this.details = info.details;
    this.files = info.files ?? [];
  }
}

/** A file in the guest root that differs from what was put there. */
export interface ChangedFile {
  /** guest path */
  path: string;
  change: 'created' | 'modified' | 'removed';
  /** permission bits (absent for removed files) */
  mode?: number;
}

/** The raw emscripten module (only what we use). */
interface EmFS {
  mkdirTree(path: string, mode?: number): void;
  writeFile(path: string, data: Uint8Array | string, opts?: { mode?: number }): void;
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
  lstat(path: string): { mode: number };
  stat(path: string): { mode: number };
  unlink(path: string): void;
  rmdir(path: string): void;
  chmod(path: string, mode: number): void;
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  analyzePath(path: string): { exists: boolean };
}

interface EmModule {
  HEAPU8: Uint8Array;
  FS: EmFS;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _aug_init(root: number, loadpath: number, flags: number): number;
  _aug_close(aug: number): void;
  _aug_error(aug: number): number;
  _aug_error_message(aug: number): number;
  _aug_error_minor_message(aug: number): number;
  _aug_error_details(aug: number): number;
  _aug_get(aug: number, path: number, value: number): number;
  _aug_set(aug: number, path: number, value: number): number;
  _aug_setm(aug: number, base: number, sub: number, value: number): number;
  _aug_rm(aug: number, path: number): number;
  _aug_match(aug: number, path: number, matches: number): number;
  _aug_insert(aug: number, path: number, label: number, before: number): number;
  _aug_mv(aug: number, src: number, dst: number): number;
  _aug_cp(aug: number, src: number, dst: number): number;
  _aug_rename(aug: number, src: number, lbl: number): number;
  _aug_label(aug: number, path: number, label: number): number;
  _aug_defvar(aug: number, name: number, expr: number): number;
  _aug_defnode(aug: number, name: number, expr: number, value: number, created: number): number;
  _aug_load(aug: number): number;
  _aug_load_file(aug: number, file: number): number;
  _aug_save(aug: number): number;
  _aug_transform(aug: number, lens: number, file: number, excl: number): number;
  _aug_preview(aug: number, path: number, out: number): number;
  _aug_source(aug: number, path: number, out: number): number;
}

const utf8 = new TextEncoder();

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Directory holding augeas.cjs, augeas.wasm and lenses/. */
export function augeasBuildDir(): string {
  return wasmBuildDir('augeas');
}

/** What every module instance needs from disk, read once per process. */
interface Assets extends EmscriptenBuild<EmModule> {
  lenses: Array<[string, Uint8Array]>;
}
let assets: Assets | undefined;

function loadAssets(): Assets {
  if (assets) return assets;
  const dir = augeasBuildDir();
  const lensDir = join(dir, 'lenses');
  const build = readEmscriptenBuild<EmModule>(dir, 'augeas', "run 'bash wasm/augeas/build.sh'", [lensDir]);
  const lenses: Array<[string, Uint8Array]> = readdirSync(lensDir)
    .filter((f) => f.endsWith('.aug'))
    .sort()
    .map((f) => [f, readFileSync(join(lensDir, f))]);
  assets = { ...build, lenses };
  return assets;
}

/** A normalized absolute guest path. */
function guestPath(p: string): string {
  if (typeof p !== 'string' || !p.startsWith('/')) {
    throw new GuestkitError('EINVAL', `path must be absolute: ${String(p)}`);
  }
  if (p.includes('\0')) throw new GuestkitError('EINVAL', 'path contains a NUL byte');
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function memfsPath(p: string): string {
  const g = guestPath(p);
  return g === '/' ? GUEST_MEMFS_ROOT : GUEST_MEMFS_ROOT + g;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Loads a fresh augeas module (its own MEMFS, lenses installed, an empty
 * guest root) and returns it unopened: put files, then init().
 */
export async function loadAugeas(): Promise<Augeas> {
  const a = loadAssets();
  const aug = new Augeas();
  const em = await instantiateEmscripten(a, (reason) => aug.markDead(reason));
  em.FS.mkdirTree(LENS_MEMFS_DIR);
  for (const [name, bytes] of a.lenses) em.FS.writeFile(`${LENS_MEMFS_DIR}/${name}`, bytes);
  em.FS.mkdirTree(GUEST_MEMFS_ROOT);
  aug.em = em;
  return aug;
}

/** One augeas module instance with at most one open augeas handle. */
export class Augeas {
  /** @internal */ em!: EmModule;
  private aug = 0;
  private readonly guard = new AbortGuard('augeas WASM module');
  /** guest path -> contents as last put (or marked clean) */
  private baseline = new Map<string, Uint8Array>();

  // ---------------------------------------------------------------- module

  /** @internal */
  markDead(reason: string): void {
    this.guard.markDead(reason);
  }

  get dead(): boolean {
    return this.guard.dead;
  }

  /** True between init() and close(). */
  get isOpen(): boolean {
    return this.aug !== 0;
  }

  private invoke<T>(fn: () => T): T {
    return this.guard.run(fn);
  }

  private cString(ptr: number): string {
    return readCString(this.em.HEAPU8, ptr);
  }

  private ptrAt(p: number): number {
    const h = this.em.HEAPU8;
    return (h[p]! | (h[p + 1]! << 8) | (h[p + 2]! << 16) | (h[p + 3]! << 24)) >>> 0;
  }

  private i32At(p: number): number {
    return this.ptrAt(p) | 0;
  }

  /** Runs fn with the strings copied into the heap (null -> NULL pointer). */
  private withStrings<T>(strs: Array<string | null>, fn: (ptrs: number[]) => T): T {
    const ptrs: number[] = [];
    try {
      for (const s of strs) {
        if (s === null) {
          ptrs.push(0);
          continue;
        }
        if (s.includes('\0')) throw new GuestkitError('EINVAL', 'argument contains a NUL byte');
        const b = utf8.encode(s);
        const p = this.em._malloc(b.length + 1);
        if (!p) throw new GuestkitError('ENOMEM', 'out of memory in the augeas module');
        this.em.HEAPU8.set(b, p);
        this.em.HEAPU8[p + b.length] = 0;
        ptrs.push(p);
      }
      return fn(ptrs);
    } finally {
      if (!this.dead) for (const p of ptrs) if (p) this.em._free(p);
    }
  }

  /** Runs fn with one zeroed out-cell (8 bytes) in the heap. */
  private withOut<T>(fn: (out: number) => T): T {
    const p = this.em._malloc(8);
    if (!p) throw new GuestkitError('ENOMEM', 'out of memory in the augeas module');
    this.em.HEAPU8.fill(0, p, p + 8);
    try {
      return fn(p);
    } finally {
      if (!this.dead) this.em._free(p);
    }
  }

  private handle(op: string): number {
    if (!this.aug) throw new GuestkitError('ESTATE', `${op}: no augeas handle is open: call init first`);
    return this.aug;
  }

  /** The current aug_error state as AugeasErrorInfo. */
  private errorInfo(aug = this.aug): AugeasErrorInfo {
    const code = this.em._aug_error(aug);
    const str = (p: number): string | undefined => (p ? this.cString(p) : undefined);
    return {
      augCode: code,
      augCodeName: AUG_ERRCODES[code] ?? `AUG_E${code}`,
      augMessage: str(this.em._aug_error_message(aug)),
      minorMessage: str(this.em._aug_error_minor_message(aug)),
      details: str(this.em._aug_error_details(aug)),
    };
  }

  /** An AugeasError for the failed call: "context: message[: minor][: details]". */
  private fail(context: string, aug = this.aug): AugeasError {
    const info = this.errorInfo(aug);
    let msg = info.augMessage ?? 'augeas error';
    if (info.augCode === 1) msg = 'augeas out of memory';
    if (info.minorMessage) msg += `: ${info.minorMessage}`;
    if (info.details) msg += `: ${info.details}`;
    return new AugeasError(context ? `${context}: ${msg}` : msg, info);
  }

  // ------------------------------------------------------- MEMFS helpers

  /** Writes a guest file into the module (creating parent directories). */
  putFile(path: string, data: Uint8Array | string, mode = 0o644): void {
    const g = guestPath(path);
    if (g === '/') throw new GuestkitError('EISDIR', 'cannot put a file at /');
    const bytes = typeof data === 'string' ? utf8.encode(data) : data;
    this.invoke(() => {
      const m = memfsPath(g);
      this.em.FS.mkdirTree(posix.dirname(m));
      if (this.em.FS.analyzePath(m).exists) this.em.FS.unlink(m);
      this.em.FS.writeFile(m, bytes, { mode });
      this.em.FS.chmod(m, mode);
    });
    this.baseline.set(g, bytes.slice());
  }

  /** Reads a guest file from the module. */
  getFile(path: string): Uint8Array {
    const m = memfsPath(path);
    return this.invoke(() => {
      let st: { mode: number };
      try {
        st = this.em.FS.stat(m);
      } catch {
        throw new GuestkitError('ENOENT', `${guestPath(path)}: No such file or directory`);
      }
      if (!this.em.FS.isFile(st.mode)) throw new GuestkitError('EISDIR', `${guestPath(path)}: not a regular file`);
      return this.em.FS.readFile(m).slice();
    });
  }

  /** Removes a guest file from the module (no error if absent). */
  removeFile(path: string): void {
    const g = guestPath(path);
    this.invoke(() => {
      const m = memfsPath(g);
      if (this.em.FS.analyzePath(m).exists) this.em.FS.unlink(m);
    });
    this.baseline.delete(g);
  }

  /** Every regular file in the guest root, as sorted guest paths. */
  listFiles(): string[] {
    return this.invoke(() => [...this.walk().keys()].sort());
  }

  /** guest path -> permission bits, for every regular file */
  private walk(): Map<string, number> {
    const out = new Map<string, number>();
    const FS = this.em.FS;
    const rec = (m: string, g: string): void => {
      for (const name of FS.readdir(m)) {
        if (name === '.' || name === '..') continue;
        const cm = `${m}/${name}`;
        const cg = g === '/' ? `/${name}` : `${g}/${name}`;
        const st = FS.lstat(cm);
        if (FS.isDir(st.mode)) rec(cm, cg);
        else if (FS.isFile(st.mode)) out.set(cg, st.mode & 0o7777);
      }
    };
    rec(GUEST_MEMFS_ROOT, '/');
    return out;
  }

  /**
   * Files that differ from what was put (or last marked clean): what a
   * save() wrote, including .augnew (AUG_SAVE_NEWFILE) and .augsave
   * (AUG_SAVE_BACKUP) files, and files augeas removed. Sorted by path.
   */
  changedFiles(): ChangedFile[] {
    return this.invoke(() => {
      const now = this.walk();
      const out: ChangedFile[] = [];
      for (const [path, mode] of now) {
        const before = this.baseline.get(path);
        if (!before) out.push({ path, change: 'created', mode });
        else if (!sameBytes(before, this.em.FS.readFile(memfsPath(path)))) out.push({ path, change: 'modified', mode });
      }
      for (const path of this.baseline.keys()) if (!now.has(path)) out.push({ path, change: 'removed' });
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    });
  }

  /** Takes the current guest root as the new baseline for changedFiles(). */
  markClean(): void {
    this.invoke(() => {
      const next = new Map<string, Uint8Array>();
      for (const path of this.walk().keys()) next.set(path, this.em.FS.readFile(memfsPath(path)).slice());
      this.baseline = next;
    });
  }

  // ------------------------------------------------------------ augeas API

  /**
   * aug_init on the guest root `root` (a guest path, usually "/"), closing
   * any handle already open. Lenses are found in augeas's default search
   * path unless AUG_NO_STDINC; `loadpath` adds MEMFS directories
   * (colon-separated).
   */
  init(root = '/', flags = AUG_NONE, loadpath: string | null = null): void {
    if (!Number.isInteger(flags) || flags < 0 || flags > 255) {
      throw new GuestkitError('EINVAL', `invalid augeas flags: ${flags}`);
    }
    const r = memfsPath(root) + '/';
    this.close();
    this.invoke(() => {
      if (!this.em.FS.analyzePath(r).exists) this.em.FS.mkdirTree(r);
      const aug = this.withStrings([r, loadpath], ([pr, pl]) => this.em._aug_init(pr!, pl!, flags | AUG_NO_ERR_CLOSE));
      if (!aug) throw new AugeasError('augeas initialization failed: out of memory', { augCode: 1, augCodeName: 'AUG_ENOMEM' });
      if (this.em._aug_error(aug) !== 0) {
        const err = this.fail('augeas initialization failed', aug);
        this.em._aug_close(aug);
        throw err;
      }
      this.aug = aug;
    });
  }

  /** aug_close (no-op when nothing is open). */
  close(): void {
    if (!this.aug || this.dead) {
      this.aug = 0;
      return;
    }
    const aug = this.aug;
    this.aug = 0;
    this.invoke(() => this.em._aug_close(aug));
  }

  /**
   * The value of the single node matching `path` (null: the node has no
   * value). No match and several matches are errors.
   */
  get(path: string): string | null {
    const v = this.singleNode('get', path, (aug, p, out) => this.em._aug_get(aug, p, out));
    return v ? this.cString(v) : null;
  }

  /** Runs an augeas call on `strs` that returns a count (negative: an error, about `subject`). */
  private counted(op: string, strs: Array<string | null>, subject: string, call: (aug: number, ptrs: number[]) => number): number {
    const aug = this.handle(op);
    return this.invoke(() =>
      this.withStrings(strs, (ptrs) => {
        const r = call(aug, ptrs);
        if (r < 0) throw this.fail(subject);
        return r;
      }),
    );
  }

  /**
   * Runs an aug_get-like call (`call` returns the number of matches and writes a
   * string pointer to `out`) on the single node matching `path`: the pointer
   * (0: none). No match and several matches are errors.
   */
  private singleNode(what: string, path: string, call: (aug: number, p: number, out: number) => number): number {
    const aug = this.handle(what);
    return this.invoke(() =>
      this.withStrings([path], ([p]) =>
        this.withOut((out) => {
          const r = call(aug, p!, out);
          if (r === 0) {
            throw new AugeasError(`${path}: no matching node`, { augCode: 4, augCodeName: 'AUG_ENOMATCH' });
          }
          if (r !== 1) throw this.fail(path);
          return this.ptrAt(out);
        }),
      ),
    );
  }

  /** Sets the value of the node `path` (created if missing); null clears it. */
  set(path: string, value: string | null): void {
    const aug = this.handle('set');
    this.invoke(() =>
      this.withStrings([path, value], ([p, v]) => {
        if (this.em._aug_set(aug, p!, v!) < 0) throw this.fail(path);
      }),
    );
  }

  /** aug_setm: sets `sub` (relative; null = the nodes themselves) under every `base` match. */
  setm(base: string, sub: string | null, value: string | null): number {
    return this.counted('setm', [base, sub, value], base, (aug, [b, s, v]) => this.em._aug_setm(aug, b!, s!, v!));
  }

  /** Removes the matching nodes and their children; returns how many were removed. */
  rm(path: string): number {
    return this.counted('rm', [path], path, (aug, [p]) => this.em._aug_rm(aug, p!));
  }

  /** Paths of all nodes matching the path expression, in tree order. */
  match(path: string): string[] {
    const aug = this.handle('match');
    return this.invoke(() =>
      this.withStrings([path], ([p]) =>
        this.withOut((out) => {
          const n = this.em._aug_match(aug, p!, out);
          if (n < 0) throw this.fail(path);
          const arr = this.ptrAt(out);
          const res: string[] = [];
          if (!arr) return res;
          for (let i = 0; i < n; i++) {
            const s = this.ptrAt(arr + 4 * i);
            res.push(this.cString(s));
            this.em._free(s);
          }
          this.em._free(arr);
          return res;
        }),
      ),
    );
  }

  /** As guestfs aug-ls: the children of `path` (match `path/*`), sorted. */
  ls(path: string): string[] {
    const len = path.length;
    if (len > 1 && (path.endsWith('/') || path.endsWith(']') || path.endsWith('*'))) {
      throw new GuestkitError('EINVAL', `don't use aug-ls with a path that ends with / ] *: ${path}`);
    }
    const m = this.match(path === '/' ? '/*' : `${path}/*`);
    return m.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Inserts a sibling `label` before (or after) the single node `path`. */
  insert(path: string, label: string, before: boolean): void {
    const aug = this.handle('insert');
    this.invoke(() =>
      this.withStrings([path, label], ([p, l]) => {
        if (this.em._aug_insert(aug, p!, l!, before ? 1 : 0) < 0) throw this.fail(path);
      }),
    );
  }

  /** Moves the single node `src` to `dest` (replacing it). */
  mv(src: string, dest: string): void {
    const aug = this.handle('mv');
    this.invoke(() =>
      this.withStrings([src, dest], ([s, d]) => {
        if (this.em._aug_mv(aug, s!, d!) < 0) throw this.fail(src);
      }),
    );
  }

  /** Copies the single node `src` to `dest`. */
  cp(src: string, dest: string): void {
    const aug = this.handle('cp');
    this.invoke(() =>
      this.withStrings([src, dest], ([s, d]) => {
        if (this.em._aug_cp(aug, s!, d!) < 0) throw this.fail(src);
      }),
    );
  }

  /** Renames the label of every node matching `src`; returns how many. */
  rename(src: string, label: string): number {
    return this.counted('rename', [src, label], src, (aug, [s, l]) => this.em._aug_rename(aug, s!, l!));
  }

  /** The label of the single node matching `path` (error if none). */
  label(path: string): string {
    const v = this.singleNode('label', path, (aug, p, out) => this.em._aug_label(aug, p, out));
    if (!v) throw new AugeasError(`${path}: node has no label`, { augCode: 0, augCodeName: 'AUG_NOERROR' });
    return this.cString(v);
  }

  /** As guestfs aug-clear: removes the value of the node (set to NULL). */
  clear(path: string): void {
    this.set(path, null);
  }

  /** Defines (or with expr null, removes) a variable; returns the node count it matches. */
  defvar(name: string, expr: string | null): number {
    return this.counted('defvar', [name, expr], name, (aug, [n, e]) => this.em._aug_defvar(aug, n!, e!));
  }

  /** Defines a variable for `expr`, creating the node with `value` if nothing matches. */
  defnode(name: string, expr: string, value: string | null): { count: number; created: boolean } {
    const aug = this.handle('defnode');
    return this.invoke(() =>
      this.withStrings([name, expr, value], ([n, e, v]) =>
        this.withOut((out) => {
          const r = this.em._aug_defnode(aug, n!, e!, v!, out);
          if (r < 0) throw this.fail(name);
          return { count: r, created: this.i32At(out) !== 0 };
        }),
      ),
    );
  }

  /**
   * (Re)loads files as /augeas/load says. Files augeas cannot parse do not
   * make this fail (as with aug_load): see errorDetails().
   */
  load(): void {
    const aug = this.handle('load');
    this.invoke(() => {
      if (this.em._aug_load(aug) < 0) throw this.fail('aug_load failed');
    });
  }

  /** Loads one guest file with the lens /augeas/load says handles it. */
  loadFile(path: string): void {
    const aug = this.handle('loadFile');
    this.invoke(() =>
      this.withStrings([path], ([p]) => {
        if (this.em._aug_load_file(aug, p!) < 0) throw this.fail(path);
      }),
    );
  }

  /**
   * Writes every changed file (as the save mode says: overwrite, backup,
   * newfile, noop). Returns the guest files augeas reports as saved (in
   * noop mode: the files it would save). On failure the AugeasError
   * carries the /augeas//error entries of the files that failed.
   */
  save(): string[] {
    const aug = this.handle('save');
    this.invoke(() => {
      if (this.em._aug_save(aug) >= 0) return;
      const info = this.errorInfo();
      const files = this.errorDetails();
      let msg = 'aug_save failed';
      if (info.augCode !== 0) {
        msg += `: ${info.augMessage ?? ''}${info.minorMessage ? `: ${info.minorMessage}` : ''}${info.details ? `: ${info.details}` : ''}`;
      }
      if (files.length) msg += `: ${files.map((f) => f.summary).join('; ')}`;
      throw new AugeasError(msg, { ...info, files });
    });
    return this.match('/augeas/events/saved').map((p) => {
      const v = this.get(p) ?? '';
      return v.startsWith('/files/') ? v.slice('/files'.length) : v;
    });
  }

  /** Adds (or with remove, excludes) `file` (a glob) for lens `lens` ("Hosts.lns" or "Hosts"). */
  transform(lens: string, file: string, remove = false): void {
    const aug = this.handle('transform');
    this.invoke(() =>
      this.withStrings([lens, file], ([l, f]) => {
        if (this.em._aug_transform(aug, l!, f!, remove ? 1 : 0) < 0) throw this.fail(lens);
      }),
    );
  }

  /** The text the file holding `path` would have if saved now (aug_preview). */
  preview(path: string): string {
    const aug = this.handle('preview');
    return this.invoke(() =>
      this.withStrings([path], ([p]) =>
        this.withOut((out) => {
          if (this.em._aug_preview(aug, p!, out) < 0) throw this.fail(path);
          const s = this.ptrAt(out);
          if (!s) return '';
          const text = this.cString(s);
          this.em._free(s);
          return text;
        }),
      ),
    );
  }

  /**
   * Every /augeas//error entry: files augeas could not parse (parse_failed),
   * save (put_failed, …) or read, and lens errors under /augeas/load.
   * (/augeas/error itself, where augeas keeps the last path expression
   * error, is left out: those errors are thrown as they happen.)
   */
  errorDetails(): AugeasFileError[] {
    const nodes = this.match('/augeas//error').filter((n) => n !== '/augeas/error');
    const out: AugeasFileError[] = [];
    for (const node of nodes) {
      const child = (name: string): string | undefined => {
        const m = this.match(`${node}/${name}`);
        if (m.length !== 1) return undefined;
        return this.get(m[0]!) ?? undefined;
      };
      const num = (name: string): number | undefined => {
        const v = child(name);
        return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
      };
      const error = this.get(node) ?? '';
      const fullMessage = child('message') ?? '';
      const message = fullMessage.split('\n').map((s) => s.trim()).find((s) => s) ?? '';
      let file = '';
      if (node.startsWith('/augeas/files/') && node.endsWith('/error')) {
        file = node.slice('/augeas/files'.length, -'/error'.length);
      }
      const e: AugeasFileError = {
        node, file, error, message, fullMessage,
        lens: child('lens'), path: child('path'),
        pos: num('pos'), line: num('line'), char: num('char'),
        summary: '',
      };
      let s = `${file || node}: ${error}`;
      if (message) s += `: ${message}`;
      if (e.line !== undefined) s += ` at line ${e.line}, char ${e.char ?? 0}`;
      if (e.path) s += ` (node ${e.path})`;
      if (e.lens) s += ` (lens ${e.lens})`;
      e.summary = oneLine(s);
      out.push(e);
    }
    return out;
  }

  /** Throws an AugeasError naming every /augeas//error entry, if there is one. */
  checkErrors(): void {
    const files = this.errorDetails();
    if (files.length === 0) return;
    throw new AugeasError(files.map((f) => f.summary).join('; '), {
      augCode: 0, augCodeName: 'AUG_NOERROR', files,
    });
  }
}
