/**
 * Builds the appliance: the kernel as an uncompressed ELF vmlinux (booted through
 * its PVH entry point) and a small initramfs made from host files (busybox, a few
 * programs with their shared libraries, kernel modules, /init and the agent).
 *
 * The result is cached in ~/.cache/guestkit/appliance/<hash>/, where the hash
 * covers every input (kernel, files with sizes and mtimes, scripts, lists); a
 * build writes to a temporary directory and renames it into place.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { GuestkitError } from '../../errors/index.js';
import { guestkitCacheDir } from '../../util/cache-dir.js';
import { CpioWriter, type CpioEntry } from './cpio.js';
import { reseedElf } from './reseed-elf.js';
import { findExecutable } from './children.js';
import {
  TOOLS_EXPECTED_PATH, TOOLS_ID_PATH, TOOLS_IMAGE, TOOLS_MODULES_DIR,
  splitToolsEntries, toolsImageProblem, toolsImageWanted, toolsLibraryLinks, toolsLibraryPath, writeToolsImage,
} from './tools-image.js';

/** Bump when the layout of the initramfs changes in a way the inputs do not show. */
const BUILDER_VERSION = '4';

/** The virtio-serial port name the agent looks for. */
export const AGENT_PORT_NAME = 'org.guestkit.agent.0';

export interface Appliance {
  dir: string;
  kernel: string;
  initrd: string;
  kernelVersion: string;
  /** Whether this call built it (false: found in the cache). */
  built: boolean;
  /** Programs from binaries.txt that are not installed on the host (package names). */
  missing: string[];
  /**
   * The read-only tools image (programs, libraries, lazily loaded modules) the
   * guest mounts on /usr; absent when the host has no mke2fs (everything is in
   * the initramfs then).
   */
  tools?: string;
}

export type InitrdCompression = boolean | 'gzip' | 'zstd' | 'none';

/** The compression asked for, as a name ('none' when not compressed). */
function compressionOf(c: InitrdCompression | undefined): 'none' | 'gzip' | 'zstd' {
  const v = c ?? (process.env.GUESTKIT_APPLIANCE_COMPRESS as InitrdCompression | undefined) ?? false;
  if (v === true || v === 'gzip') return 'gzip';
  if (v === 'zstd') return findExecutable('zstd') ? 'zstd' : 'none';
  return 'none';
}

const INITRD_NAMES = { none: 'initrd.cpio', gzip: 'initrd.cpio.gz', zstd: 'initrd.cpio.zst' } as const;

export interface BuildOptions {
  /** Where init, agent.sh, binaries.txt and modules.txt are read from (set-path); default: the package's appliance/. */
  sourceDir?: string;
  /** Cache root (default ~/.cache/guestkit/appliance, or $GUESTKIT_APPLIANCE_CACHE). */
  cacheDir?: string;
  /**
   * Compress the initramfs: true or 'gzip' (zlib), 'zstd' (the host's zstd program;
   * uncompressed when it is missing). Default: uncompressed, or $GUESTKIT_APPLIANCE_COMPRESS.
   */
  compress?: InitrdCompression;
  /** Install missing Debian packages (kernel, busybox) with apt-get when running as root (default true). */
  install?: boolean;
  /** Build again even when the cache has this appliance (`guestkit appliance build`). */
  force?: boolean;
  /** Where to look for vmlinuz-* (default /boot) and its modules (default /lib/modules). */
  bootDir?: string;
  modulesDir?: string;
  log?: (line: string) => void;
  /** Build steps as they happen: a stage name, and for the initramfs the entries written so far. */
  progress?: (stage: string, done?: number, total?: number) => void;
}

// ------------------------------------------------------------ sources

/** The repository's appliance/ directory (works from src/ under tsx and from dist/). */
export function applianceSourceDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'appliance', 'init')) && fs.existsSync(path.join(dir, 'package.json'))) {
      return path.join(dir, 'appliance');
    }
    dir = path.dirname(dir);
  }
  throw new GuestkitError('ENOENT', 'appliance sources (appliance/init) not found next to the guestkit package');
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    if (!Number.isNaN(nx) && !Number.isNaN(ny) && x !== '' && y !== '') {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function aptInstall(pkgs: string[], opts: BuildOptions): boolean {
  if (opts.install === false || process.getuid?.() !== 0) return false;
  opts.log?.(`appliance: apt-get install ${pkgs.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/** The newest /boot/vmlinuz-* with its modules directory. */
export function findKernel(opts: BuildOptions = {}): { vmlinuz: string; version: string; modules: string } {
  const bootDir = opts.bootDir ?? '/boot';
  const modulesDir = opts.modulesDir ?? '/lib/modules';
  const scan = () => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(bootDir).filter((n) => n.startsWith('vmlinuz-'));
    } catch {
      // no /boot
    }
    const versions = names
      .map((n) => n.slice('vmlinuz-'.length))
      .filter((v) => fs.existsSync(`${modulesDir}/${v}/modules.dep`))
      .sort(compareVersions);
    const v = versions[versions.length - 1];
    return v ? { vmlinuz: `${bootDir}/vmlinuz-${v}`, version: v, modules: `${modulesDir}/${v}` } : null;
  };
  let k = scan();
  if (!k && aptInstall(['linux-image-amd64'], opts)) k = scan();
  if (!k) {
    throw new GuestkitError('ENOENT', `no Linux kernel in ${bootDir} (with modules in ${modulesDir}): install the Debian package linux-image-amd64`);
  }
  return k;
}

// ---------------------------------------------------------- vmlinux

const PAYLOADS: { name: string; magic: number[]; cmd?: string[] }[] = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], cmd: ['xz', '-dc', '--single-stream'] },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], cmd: ['zstd', '-dc'] },
  { name: 'lz4', magic: [0x02, 0x21, 0x4c, 0x18], cmd: ['lz4', '-dc'] },
  { name: 'gzip', magic: [0x1f, 0x8b, 0x08] },
];

function isElf(b: Uint8Array): boolean {
  return b.length > 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Finds the compressed payload in a bzImage by its magic and decompresses it to the ELF vmlinux. */
export function extractVmlinux(vmlinuz: string): Buffer {
  const img = fs.readFileSync(vmlinuz);
  if (isElf(img)) return img;
  const tried: string[] = [];
  for (const p of PAYLOADS) {
    let from = 0;
    for (;;) {
      const at = img.indexOf(Buffer.from(p.magic), from);
      if (at < 0) break;
      from = at + 1;
      let out: Buffer | null = null;
      try {
        if (p.cmd) {
          const [cmd, ...args] = p.cmd;
          const r = spawnSync(cmd!, args, { input: img.subarray(at), maxBuffer: 1 << 30 });
          if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
            tried.push(`${p.name} (no ${cmd} program)`);
            break;
          }
          // Trailing bytes after the stream make some tools exit non-zero: judge by the output.
          out = r.stdout && r.stdout.length ? r.stdout : null;
        } else {
          out = zlib.gunzipSync(img.subarray(at), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        }
      } catch {
        out = null;
      }
      if (out && isElf(out)) return out;
    }
  }
  throw new GuestkitError('EIMAGE', `${vmlinuz}: cannot find the compressed kernel inside it${tried.length ? ` (tried ${tried.join(', ')})` : ''}`);
}

// ---------------------------------------------------------- modules

interface ModuleSet {
  /** Module files in load order (dependencies first), as [name, host path]. */
  files: [string, string][];
  /** Names the init loads at boot, in order. */
  boot: string[];
  /** For each lazily loaded module: its load order (dependencies, then itself). */
  lazy: Map<string, string[]>;
  /** Listed modules this kernel has neither as a file nor built in. */
  absent: string[];
  /** Parameters given to insmod for a boot module (modules.txt: `boot NAME PARAM=VALUE...`). */
  params: Map<string, string>;
}

const modName = (p: string) => path.basename(p).replace(/\.ko(\.[a-z0-9]+)?$/, '').replace(/-/g, '_');

export function resolveModules(base: string, list: { when: 'boot' | 'lazy'; name: string; params?: string }[]): ModuleSet {
  // Every launch checks the cache through here: keep each of modules.dep's ~6,000 lines as text and
  // split only the few the appliance asks for (parsing them all was most of a cache hit's time).
  const lines = new Map<string, string>();
  for (const line of fs.readFileSync(`${base}/modules.dep`, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) lines.set(modName(line.slice(0, colon)), line);
  }
  const parsed = new Map<string, { file: string; deps: string[] }>();
  const deps = {
    has: (name: string) => lines.has(name),
    get(name: string): { file: string; deps: string[] } | undefined {
      let d = parsed.get(name);
      const line = d ? undefined : lines.get(name);
      if (line !== undefined) {
        const colon = line.indexOf(':');
        d = { file: path.join(base, line.slice(0, colon)), deps: line.slice(colon + 1).split(/\s+/).filter(Boolean).map(modName) };
        parsed.set(name, d);
      }
      return d;
    },
  };
  const builtin = new Set<string>();
  try {
    for (const line of fs.readFileSync(`${base}/modules.builtin`, 'utf8').split('\n')) if (line) builtin.add(modName(line));
  } catch {
    // none
  }
  const files = new Map<string, string>();
  const order = (name: string, out: string[], seen: Set<string>) => {
    if (seen.has(name)) return;
    seen.add(name);
    const d = deps.get(name);
    if (!d) return;
    // modules.dep lists the full closure, nearest first: load in reverse.
    for (const dep of [...d.deps].reverse()) order(dep, out, seen);
    out.push(name);
    files.set(name, d.file);
  };
  const boot: string[] = [];
  const bootSeen = new Set<string>();
  const lazy = new Map<string, string[]>();
  const absent: string[] = [];
  const params = new Map<string, string>();
  for (const { when, name, params: p } of list) {
    const n = name.replace(/-/g, '_');
    if (p && when === 'boot') params.set(n, p);
    if (builtin.has(n)) continue;
    if (!deps.has(n)) {
      absent.push(n); // not built for this kernel
      continue;
    }
    if (when === 'boot') order(n, boot, bootSeen);
    else {
      const o: string[] = [];
      order(n, o, new Set());
      lazy.set(n, o);
    }
  }
  return { files: [...files.entries()], boot, lazy, absent, params };
}

const MODULE_SIG_MAGIC = Buffer.from('~Module signature appended~\n');

/**
 * A kernel module without its appended signature (the module, the signature,
 * a 12-byte struct module_signature whose last 4 bytes are the signature's
 * length, big-endian, then the magic string). Unsigned modules are returned as is.
 */
export function unsignedModule(ko: Buffer): Buffer {
  const end = ko.length - MODULE_SIG_MAGIC.length;
  if (end < 12 || !ko.subarray(end).equals(MODULE_SIG_MAGIC)) return ko;
  const sigLen = ko.readUInt32BE(end - 4);
  const start = end - 12 - sigLen;
  return start > 0 ? ko.subarray(0, start) : ko;
}

// ---------------------------------------------------------- binaries

interface ListLine {
  kind: string;
  value: string;
  extra: string;
}

function readList(file: string): ListLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => {
      const [kind = '', value = '', ...rest] = l.split(/\s+/);
      return { kind, value, extra: rest.join(' ') };
    });
}

/** The shared libraries of these programs (one ldd run), including the ELF interpreter. */
function sharedLibraries(programs: string[]): string[] {
  if (!programs.length) return [];
  let out = '';
  try {
    out = execFileSync('ldd', programs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs].sort();
}

// ---------------------------------------------------------- build

interface Plan extends Quick {
  libraries: string[];
  applets: string[];
  hash: string;
}

function statKey(p: string): string {
  try {
    const s = fs.statSync(p);
    return `${p}:${s.size}:${Math.floor(s.mtimeMs)}`;
  } catch {
    return `${p}:missing`;
  }
}

/** True for an ELF executable without an interpreter (statically linked). */
function isStaticElf(file: string): boolean {
  try {
    const b = fs.readFileSync(file);
    if (!isElf(b) || b[4] !== 2) return false; // 64-bit only
    const phoff = Number(b.readBigUInt64LE(0x20));
    const phentsize = b.readUInt16LE(0x36);
    const phnum = b.readUInt16LE(0x38);
    for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * A statically linked busybox: with it, ash runs applets without exec and
 * without the dynamic loader, which under TCG makes each command ~5x cheaper
 * (measured: 50 ms → 10 ms per command). The host's own busybox when it is
 * static; else Debian's busybox-static unpacked into the cache (apt-get
 * download, no installation); else null (the dynamic one is used).
 */
export function staticBusybox(root: string = defaultCacheDir(), opts: BuildOptions = {}): string | null {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (fs.existsSync(p) && isStaticElf(p)) return p;
  const dir = path.join(root, 'busybox-static');
  const bin = path.join(dir, 'bin', 'busybox');
  if (fs.existsSync(bin)) return bin;
  if (opts.install === false) return null;
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(root, '.busybox-'));
  try {
    opts.log?.('appliance: apt-get download busybox-static');
    const r = spawnSync('apt-get', ['download', 'busybox-static'], { cwd: tmp, stdio: 'ignore' });
    const deb = fs.readdirSync(tmp).find((n) => n.endsWith('.deb'));
    if (r.status !== 0 || !deb) return null;
    const x = spawnSync('dpkg-deb', ['-x', path.join(tmp, deb), path.join(tmp, 'x')], { stdio: 'ignore' });
    const got = path.join(tmp, 'x', 'bin', 'busybox');
    if (x.status !== 0 || !fs.existsSync(got) || !isStaticElf(got)) return null;
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.copyFileSync(got, `${bin}.tmp`);
    fs.chmodSync(`${bin}.tmp`, 0o755);
    fs.renameSync(`${bin}.tmp`, bin);
    return bin;
  } catch {
    return null;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

interface Quick {
  kernel: { vmlinuz: string; version: string; modules: string };
  modules: ModuleSet;
  /** Programs (host paths) and where they go in the appliance. */
  programs: { src: string; dest: string }[];
  missing: string[];
  scripts: Map<string, Buffer>;
  key: string;
}

/** The inputs that are cheap to collect (everything but the shared libraries). */
function quickInputs(root: string, opts: BuildOptions): Quick {
  const src = opts.sourceDir ?? applianceSourceDir();
  const kernel = findKernel(opts);
  const modList = readList(path.join(src, 'modules.txt')).map((l) => ({ when: l.kind as 'boot' | 'lazy', name: l.value, params: l.extra }));
  const modules = resolveModules(kernel.modules, modList);

  const programs: { src: string; dest: string }[] = [];
  const missing: string[] = [];
  for (const b of readList(path.join(src, 'binaries.txt'))) {
    let p = b.value;
    if (path.basename(p) === 'busybox') {
      const st = staticBusybox(root, opts);
      if (st) {
        programs.push({ src: st, dest: '/bin/busybox' });
        continue;
      }
      if (!fs.existsSync(p) && fs.existsSync('/bin/busybox')) p = '/bin/busybox';
      if (!fs.existsSync(p)) aptInstall(['busybox-static'], opts);
      if (fs.existsSync(p)) {
        programs.push({ src: p, dest: '/bin/busybox' });
        continue;
      }
    }
    if (fs.existsSync(p)) programs.push({ src: p, dest: p });
    else if (b.kind === 'required') throw new GuestkitError('ENOENT', `${b.value} not found: install the Debian package ${b.extra}`);
    else missing.push(b.extra || b.value);
  }
  const scripts = new Map<string, Buffer>();
  for (const f of ['init', 'agent.sh']) scripts.set(f, fs.readFileSync(path.join(src, f)));

  const h = crypto.createHash('sha256');
  h.update(`v${BUILDER_VERSION}\n${compressionOf(opts.compress)}\n${kernel.version}\n${statKey(kernel.vmlinuz)}\n`);
  for (const [n, f] of modules.files) h.update(`mod ${n} ${statKey(f)}\n`);
  h.update(`boot ${modules.boot.map((n) => `${n}${modules.params.has(n) ? `(${modules.params.get(n)})` : ''}`).join(' ')}\n`);
  h.update(`tools ${toolsImageWanted() ? 'ext4' : 'none'}\n`);
  for (const [n, o] of modules.lazy) h.update(`lazy ${n} ${o.join(' ')}\n`);
  for (const p of programs) h.update(`prog ${p.dest} ${statKey(p.src)}\n`);
  for (const [n, b] of scripts) h.update(`script ${n} ${crypto.createHash('sha256').update(b).digest('hex')}\n`);
  h.update(`port ${AGENT_PORT_NAME}\n`);
  return { kernel, modules, programs, missing, scripts, key: h.digest('hex').slice(0, 16) };
}

function plan(q: Quick): Plan {
  // Static programs (busybox-static) have no libraries; ldd would only complain.
  const libraries = sharedLibraries(q.programs.filter((p) => !isStaticElf(p.src)).map((p) => p.src));
  const busybox = q.programs.find((p) => p.dest === '/bin/busybox')!;
  const programNames = new Set(q.programs.map((p) => path.basename(p.dest)));
  const applets = execFileSync(busybox.src, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && !programNames.has(s) && /^[\w.[-]+$/.test(s));
  const h = crypto.createHash('sha256');
  h.update(`${q.key}\n`);
  for (const l of libraries) h.update(`lib ${statKey(l)}\n`);
  h.update(`applets ${applets.join(' ')}\n`);
  return { ...q, libraries, applets, hash: h.digest('hex').slice(0, 16) };
}

/**
 * The appliance's files. With a tools image, the libraries move below /usr
 * (links from /lib/... and /lib64/... reach them) and the lazily loaded modules
 * into the image's module directory: everything below /usr goes into the image.
 */
function applianceEntries(p: Plan, tools: boolean): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (d: string) => {
    if (d === '/' || dirs.has(d)) return;
    addDir(path.dirname(d));
    dirs.add(d);
    entries.push({ kind: 'dir', path: d, mode: d === '/tmp' ? 0o1777 : 0o755 });
  };
  for (const d of ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/dev', '/proc', '/sys', '/run', '/tmp', '/sysroot', '/etc', '/lib/modules', '/var/tmp']) addDir(d);
  entries.push({ kind: 'char', path: '/dev/console', mode: 0o600, major: 5, minor: 1 });
  entries.push({ kind: 'char', path: '/dev/null', mode: 0o666, major: 1, minor: 3 });
  const libraries = p.libraries.map((l) => ({ src: l, dest: tools ? toolsLibraryPath(l) : l }));
  if (tools) {
    for (const link of toolsLibraryLinks(p.libraries)) {
      addDir(path.dirname(link.path));
      entries.push({ kind: 'symlink', path: link.path, target: link.target });
    }
  }
  // Identical programs (mkfs.ext4 and mke2fs, fsck.ext4 and e2fsck, ...: hard links on the host)
  // are stored once; the others are symbolic links to it (argv[0] stays the name called).
  const byContent = new Map<string, string>();
  const placed = new Set<string>();
  for (const f of [...p.programs, ...libraries]) {
    if (placed.has(f.dest)) continue; // /lib/x and /usr/lib/x on a merged-/usr host
    placed.add(f.dest);
    addDir(path.dirname(f.dest));
    const digest = crypto.createHash('sha256').update(fs.readFileSync(f.src)).digest('hex');
    const first = byContent.get(digest);
    if (first && first !== f.dest) {
      entries.push({ kind: 'symlink', path: f.dest, target: first });
      continue;
    }
    byContent.set(digest, f.dest);
    entries.push({ kind: 'hostfile', path: f.dest, source: f.src, mode: 0o755 });
  }
  for (const a of p.applets) {
    if (a === 'busybox' || p.programs.some((x) => x.dest === `/bin/${a}`)) continue;
    entries.push({ kind: 'symlink', path: `/bin/${a}`, target: 'busybox' });
  }
  // Unsigned: the kernel then skips hashing each module and checking its signature
  // (it only notes a taint), which under TCG is a large part of insmod's time.
  const boot = new Set(p.modules.boot);
  if (tools) addDir(TOOLS_MODULES_DIR);
  for (const [n, f] of p.modules.files) {
    const dir = tools && !boot.has(n) ? TOOLS_MODULES_DIR : '/lib/modules';
    entries.push({ kind: 'file', path: `${dir}/${n}.ko`, data: unsignedModule(fs.readFileSync(f)), mode: 0o644 });
  }
  const withParams = (n: string) => (p.modules.params.has(n) ? `${n} ${p.modules.params.get(n)}` : n);
  entries.push({ kind: 'file', path: '/lib/modules/boot', data: Buffer.from(p.modules.boot.map(withParams).join('\n') + '\n') });
  entries.push({
    kind: 'file',
    path: '/lib/modules/lazy',
    data: Buffer.from([...p.modules.lazy].map(([n, o]) => `${n} ${o.join(' ')}`).join('\n') + '\n'),
  });
  entries.push({ kind: 'file', path: '/init', mode: 0o755, data: p.scripts.get('init')! });
  entries.push({ kind: 'file', path: '/agent.sh', mode: 0o755, data: p.scripts.get('agent.sh')! });
  entries.push({ kind: 'file', path: '/bin/reseed', mode: 0o755, data: reseedElf() });
  entries.push({ kind: 'file', path: '/etc/guestkit-port', data: Buffer.from(AGENT_PORT_NAME + '\n') });
  entries.push({ kind: 'file', path: '/etc/passwd', data: Buffer.from('root:x:0:0:root:/:/bin/sh\n') });
  entries.push({ kind: 'file', path: '/etc/group', data: Buffer.from('root:x:0:\n') });
  entries.push({ kind: 'file', path: '/etc/mtab', data: Buffer.alloc(0) });
  if (tools) {
    // /init mounts the image only when it carries this build's hash.
    addDir(path.dirname(TOOLS_ID_PATH));
    entries.push({ kind: 'file', path: TOOLS_ID_PATH, data: Buffer.from(p.hash + '\n') });
    entries.push({ kind: 'file', path: TOOLS_EXPECTED_PATH, data: Buffer.from(p.hash + '\n') });
  }
  return entries;
}

/** Writes the initramfs (and with `toolsDir`, the tools image there); returns the initramfs's size. */
function writeInitramfs(p: Plan, out: string, compress: 'none' | 'gzip' | 'zstd', progress?: BuildOptions['progress'], toolsDir?: string): number {
  const all = applianceEntries(p, !!toolsDir);
  const { initramfs: entries, tools } = toolsDir ? splitToolsEntries(all) : { initramfs: all, tools: [] };
  if (toolsDir) {
    progress?.('tools');
    writeToolsImage(tools, toolsDir);
  }
  const raw = compress !== 'none' ? `${out}.raw` : out;
  const w = new CpioWriter(raw);
  for (const [i, e] of entries.entries()) {
    w.add(e);
    progress?.('initramfs', i + 1, entries.length);
  }
  let size = w.finish();
  if (compress === 'gzip') {
    const gz = zlib.gzipSync(fs.readFileSync(raw), { level: 6 });
    fs.writeFileSync(out, gz);
    size = gz.length;
  } else if (compress === 'zstd') {
    // Level 9: most of level 19's ratio at a tenth of its time; unpacking costs the same.
    const r = spawnSync('zstd', ['-q', '-9', '-T0', '-f', '-o', out, raw], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new GuestkitError('ECHILD_PROC', `zstd could not compress the initramfs: ${String(r.stderr).trim()}`);
    size = fs.statSync(out).size;
  }
  if (compress !== 'none') fs.rmSync(raw);
  return size;
}

export function defaultCacheDir(): string {
  if (process.env.GUESTKIT_APPLIANCE_CACHE) return process.env.GUESTKIT_APPLIANCE_CACHE;
  return guestkitCacheDir('appliance');
}

/**
 * Returns the cached appliance for the current inputs, building it if needed.
 * A lookup costs a few stats: the index file for the cheap inputs' key records
 * the build's hash and its shared libraries (ldd is slow: ~1 s for all the
 * programs), whose sizes and mtimes are checked again.
 */
export function buildAppliance(opts: BuildOptions = {}): Appliance {
  const root = opts.cacheDir ?? defaultCacheDir();
  opts.progress?.('inputs');
  const q = quickInputs(root, opts);
  const compression = compressionOf(opts.compress);
  const initrdName = INITRD_NAMES[compression];
  const tools = toolsImageWanted();
  const result = (hash: string, built: boolean): Appliance => {
    const dir = path.join(root, hash);
    return {
      dir, kernel: path.join(dir, 'vmlinux'), initrd: path.join(dir, initrdName), kernelVersion: q.kernel.version, built, missing: q.missing,
      ...(tools ? { tools: path.join(dir, TOOLS_IMAGE) } : {}),
    };
  };
  // A cached build is complete (its `done` marker) and its tools image is the one it wrote.
  let replace = !!opts.force;
  const usable = (dir: string): boolean => {
    if (!fs.existsSync(path.join(dir, 'done'))) return false;
    const problem = tools ? toolsImageProblem(dir) : null;
    if (problem) {
      opts.log?.(`appliance: ${problem}: rebuilding`);
      replace = true;
    }
    return problem === null;
  };
  const indexFile = path.join(root, 'index', q.key);
  try {
    if (opts.force) throw new Error('rebuild asked for');
    const [hash, ...libs] = fs.readFileSync(indexFile, 'utf8').split('\n').filter(Boolean);
    if (hash && /^[0-9a-f]{16}$/.test(hash) && libs.every((l) => statKey(l.replace(/:[^:]*:[^:]*$/, '')) === l) && usable(path.join(root, hash))) {
      return result(hash, false);
    }
  } catch {
    // no index entry
  }
  opts.progress?.('libraries');
  const p = plan(q);
  const dir = path.join(root, p.hash);
  const writeIndex = () => {
    fs.mkdirSync(path.dirname(indexFile), { recursive: true, mode: 0o700 });
    const tmpIndex = `${indexFile}.${process.pid}`;
    fs.writeFileSync(tmpIndex, [p.hash, ...p.libraries.map(statKey)].join('\n') + '\n');
    fs.renameSync(tmpIndex, indexFile);
  };
  if (!replace && usable(dir)) {
    writeIndex();
    return result(p.hash, false);
  }

  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(root, `.build-${p.hash}-`));
  try {
    const t0 = Date.now();
    // The vmlinux depends only on the kernel: reuse one from an older build.
    const vmlinux = path.join(tmp, 'vmlinux');
    const prev = findPreviousVmlinux(root, p.kernel);
    opts.progress?.('kernel');
    if (prev && !opts.force) fs.copyFileSync(prev, vmlinux);
    else fs.writeFileSync(vmlinux, extractVmlinux(p.kernel.vmlinuz));
    fs.writeFileSync(path.join(tmp, 'kernel.key'), statKey(p.kernel.vmlinuz) + '\n');
    const size = writeInitramfs(p, path.join(tmp, initrdName), compression, opts.progress, tools ? tmp : undefined);
    const toolsSize = tools ? fs.statSync(path.join(tmp, TOOLS_IMAGE)).size : 0;
    fs.writeFileSync(
      path.join(tmp, 'manifest.txt'),
      [
        `kernel ${p.kernel.version}`,
        `boot-modules ${p.modules.boot.join(' ')}`,
        `lazy-modules ${[...p.modules.lazy.keys()].join(' ')}`,
        `programs ${p.programs.map((x) => x.src).join(' ')}`,
        `missing ${p.missing.join(' ')}`,
        `initrd-bytes ${size}`,
        `tools-bytes ${toolsSize}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(tmp, 'done'), '');
    // A forced rebuild replaces the cached one (a running VM has its files open or loaded already),
    // as does a rebuild for a damaged tools image.
    if (replace || (fs.existsSync(dir) && !fs.existsSync(path.join(dir, 'done')))) fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // Someone else built the same appliance meanwhile: use theirs.
      if (!fs.existsSync(path.join(dir, 'done'))) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    writeIndex();
    opts.log?.(`appliance: built ${dir} in ${Date.now() - t0} ms (initrd ${(size / 1048576).toFixed(1)} MiB${tools ? `, tools image ${(toolsSize / 1048576).toFixed(1)} MiB` : ''})`);
    return result(p.hash, true);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Marks a cached appliance as not to be used again (its tools image did not
 * mount in the guest): the next lookup builds it anew. Returns whether it could.
 */
export function discardAppliance(dir: string): boolean {
  try {
    fs.rmSync(path.join(dir, 'done'));
    return true;
  } catch {
    return false;
  }
}

function findPreviousVmlinux(root: string, kernel: { vmlinuz: string }): string | null {
  const key = statKey(kernel.vmlinuz) + '\n';
  let names: string[] = [];
  try {
    names = fs.readdirSync(root);
  } catch {
    return null;
  }
  for (const n of names) {
    if (n.startsWith('.')) continue;
    try {
      if (fs.readFileSync(path.join(root, n, 'kernel.key'), 'utf8') === key && fs.existsSync(path.join(root, n, 'done'))) {
        return path.join(root, n, 'vmlinux');
      }
    } catch {
      // not a build
    }
  }
  return null;
}

/** What the appliance would be built from (for `guestkit appliance check`), without building it. */
export interface ApplianceInputs {
  cacheDir: string;
  kernel: { vmlinuz: string; version: string; modules: string };
  bootModules: string[];
  lazyModules: string[];
  /** Listed modules this kernel does not have. */
  absentModules: string[];
  busybox: { path: string; static: boolean };
  programs: string[];
  /** Optional programs not installed (package names). */
  missing: string[];
}

export function applianceInputs(opts: BuildOptions = {}): ApplianceInputs {
  const root = opts.cacheDir ?? defaultCacheDir();
  const q = quickInputs(root, opts);
  const busybox = q.programs.find((p) => p.dest === '/bin/busybox')!;
  return {
    cacheDir: root,
    kernel: q.kernel,
    bootModules: q.modules.boot,
    lazyModules: [...q.modules.lazy.keys()],
    absentModules: q.modules.absent,
    busybox: { path: busybox.src, static: isStaticElf(busybox.src) },
    programs: q.programs.filter((p) => p !== busybox).map((p) => p.src),
    missing: q.missing,
  };
}
