/**
 * Runs libguestfs's per-command tests (cases.json) through guestkit, the way
 * tests/c-api does: one handle with four drives (sda, sdb: 2 GiB scratch; sdc:
 * 10 MiB scratch; sdd: the test ISO, read-only), sdb1 an ext2 made once, and an
 * init sequence before each test. Every test ends in one outcome:
 *   pass, fail (with why), unknown-command (guestkit lacks a command the test or
 *   its init uses), unsupported (the backend refused: wasm's typed ENOTSUP),
 *   skipped (a prerequisite: IfAvailable group, Disabled, missing test data).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Guestfs } from '../../src/index.js';
import { findCommand } from '../../src/api/commands.js';
import type { CommandDef } from '../../src/api/types.js';
import { emptyHive } from '../../fixtures/hive/build.js';
import { evalCheck } from './c-check.js';
import type { UpstreamCase, UpstreamData, UpstreamSignature } from './cases.js';
import { initSteps } from './init.js';

export type Status = 'pass' | 'fail' | 'unknown-command' | 'unsupported' | 'skipped';

export interface Outcome {
  id: string;
  status: Status;
  /** Why it failed or was skipped (one line). */
  reason?: string;
  /** Wall time of init, test and cleanup. */
  ms?: number;
}

export interface HarnessFiles {
  /** Scratch directory for the drives and downloaded files. */
  dir: string;
  /** The test ISO (fixtures/make-upstream-iso.sh). */
  iso: string;
  /** Host inputs the tests upload (fixtures/out/upstream-data). */
  data: string;
}

const GiB = 1024 * 1024 * 1024;
const HERE = new URL('.', import.meta.url).pathname;
/** Any stable host file serves where upstream uploads its COPYING.LIB: the checks use its own size and MD5. */
const COPYING_STANDIN = join(HERE, 'cases.ts');

/** A statically linked busybox on the host (Debian's busybox-static, or the copy the appliance builder caches). */
function staticBusybox(): string | undefined {
  const candidates = ['/bin/busybox', '/usr/bin/busybox', join(homedir(), '.cache', 'guestkit', 'appliance', 'busybox-static', 'bin', 'busybox')];
  return candidates.find((p) => existsSync(p) && /statically linked|static-pie/.test(execFileSync('file', ['-L', p], { encoding: 'utf8' })));
}

class SkipTest extends Error {
  constructor(readonly status: Status, reason: string) { super(reason); }
}

/** OCaml's int_of_string, which the generator feeds the C tests: 0x, 0o, 0b prefixes; "0755" is decimal. */
export function ocamlInt(text: string): number {
  const m = /^(-?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9_]+)$/.exec(text);
  if (!m) throw new Error(`not an integer: ${text}`);
  const body = m[2]!.replace(/_/g, '');
  const radix = /^0[xX]/.test(body) ? 16 : /^0[oO]/.test(body) ? 8 : /^0[bB]/.test(body) ? 2 : 10;
  const v = parseInt(radix === 10 ? body : body.slice(2), radix);
  return m[1] ? -v : v;
}

const ocamlBool = (text: string): boolean => {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`not a boolean: ${text}`);
};

export const ourName = (upstream: string): string => upstream.replace(/_/g, '-');

/** Upstream's generated errors on a plain call are any error: this is how a C test sees failure. */
function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `${err.code ?? 'Error'}: ${err.message ?? String(e)}`.split('\n')[0]!;
}

const isNotSupported = (e: unknown): boolean => (e as { code?: string })?.code === 'ENOTSUP';

export class UpstreamHarness {
  private g?: Guestfs;
  private readonly placeholders = new Map<string, string>();

  constructor(
    private readonly data: UpstreamData,
    private readonly backend: 'wasm' | 'appliance',
    private readonly files: HarnessFiles,
  ) {
    const standin = readFileSync(COPYING_STANDIN);
    this.placeholders.set('${md5:COPYING.LIB}', createHash('md5').update(standin).digest('hex'));
    this.placeholders.set('${size:COPYING.LIB:-100}', String(standin.length - 100));
  }

  /** Creates the drives and launches the handle; sdb1 becomes the ext2 that InitScratchFS mounts. */
  async start(): Promise<void> {
    const { dir } = this.files;
    for (const [name, size] of [['sda.img', 2 * GiB], ['sdb.img', 2 * GiB], ['sdc.img', 10 * 1024 * 1024]] as const) {
      execFileSync('truncate', ['-s', '0', join(dir, name)]);
      execFileSync('truncate', ['-s', String(size), join(dir, name)]);
    }
    writeFileSync(join(dir, 'minimal'), emptyHive());
    await this.launch();
    await this.g!.call('part-disk', ['/dev/sdb', 'mbr']);
    await this.mkfsExt2('/dev/sdb1');
    await this.installShell();
  }

  /**
   * The command tests run helper programs chrooted into the scratch filesystem
   * (upstream's are static C programs; ours, test-command.sh and test-pwd.sh,
   * are scripts): a static busybox as sdb1's /bin/sh runs them.
   */
  private async installShell(): Promise<void> {
    const busybox = staticBusybox();
    if (!busybox) return;
    const g = this.g!;
    await g.call('mount', ['/dev/sdb1', '/']);
    await g.call('mkdir', ['/bin']);
    await g.call('upload', [busybox, '/bin/busybox']);
    await g.call('chmod', [0o755, '/bin/busybox']);
    await g.call('ln-s', ['busybox', '/bin/sh']);
    await g.call('umount-all', []);
  }

  private async launch(): Promise<void> {
    const g = new Guestfs({ backend: this.backend });
    for (const d of ['sda.img', 'sdb.img', 'sdc.img']) g.addDrive(join(this.files.dir, d), { format: 'raw' });
    g.addDrive(this.files.iso, { format: 'raw', readonly: true });
    await g.launch();
    this.g = g;
  }

  async stop(): Promise<void> {
    await this.g?.close();
    this.g = undefined;
  }

  /**
   * mkfs ext2 DEVICE through guestkit; where the backend cannot make filesystems
   * (wasm), the host's mke2fs writes it at the partition's offset while the
   * handle is closed, and the handle is launched again (init state is rebuilt
   * after mkfs by the init sequence itself).
   */
  private async mkfsExt2(device: string): Promise<void> {
    try {
      await this.g!.call('mkfs', ['ext2', device]);
      return;
    } catch (e) {
      if (!isNotSupported(e)) throw e;
    }
    const m = /^\/dev\/sd([a-z])(\d+)$/.exec(device);
    if (!m) throw new SkipTest('unsupported', `mkfs ${device}: the wasm backend makes no filesystems, and the host fallback serves partitions only`);
    const disk = `/dev/sd${m[1]}`;
    const parts = (await this.g!.call('part-list', [disk])) as { part_num: number; part_start: number; part_size: number }[];
    const p = parts.find((x) => x.part_num === Number(m[2]));
    if (!p) throw new Error(`mkfs ${device}: no such partition`);
    await this.stop();
    const image = join(this.files.dir, `sd${m[1]}.img`);
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-E', `offset=${p.part_start}`, image, `${Math.floor(p.part_size / 1024)}k`]);
    await this.launch();
  }

  /** The host file for an upstream FileIn/FileOut word. */
  private hostPath(word: string): string {
    if (word === '-') return word;
    const data = /^\$srcdir\/\.\.\/test-data\/files\/(.+)$|^\.\.\/test-data\/files\/(.+)$/.exec(word);
    if (data) {
      const name = data[1] ?? data[2]!;
      const p = name === 'minimal' ? join(this.files.dir, 'minimal') : join(this.files.data, name);
      if (!existsSync(p)) throw new SkipTest('skipped', `test data ${name} is not made by fixtures/make-upstream-iso.sh`);
      return p;
    }
    if (word === '$srcdir/../COPYING.LIB') return COPYING_STANDIN;
    if (word === '../test-data/test.iso') return this.files.iso;
    if (word === 'c-api/test-command') return join(HERE, 'test-command.sh');
    if (word === 'c-api/test-pwd') return join(HERE, 'test-pwd.sh');
    if (word.startsWith('c-api/')) return join(this.files.dir, word.slice('c-api/'.length));
    throw new SkipTest('skipped', `no host file for ${word}`);
  }

  /** libguestfs's test-data/blank-disks, named by host path in the disk-* tests, as the fixture copies. */
  private blankDiskPath(word: string): string {
    const m = /^\.\.\/test-data\/blank-disks\/([\w.-]+)$/.exec(word);
    return m ? join(this.files.data, 'blank-disks', m[1]!) : word;
  }

  /** Upstream words → guestkit's typed arguments, by the upstream signature; optional words "" / NOARG mean unset. */
  private convert(line: string[], sig: UpstreamSignature, def: CommandDef): { args: unknown[]; optargs: Record<string, unknown> } {
    const words = line.slice(1).map((w) => this.placeholders.get(w) ?? w);
    if (words.length !== sig.args.length + sig.optargs.length) throw new Error(`${line[0]}: ${words.length} words for ${sig.args.length}+${sig.optargs.length} arguments`);
    if (def.args.length !== sig.args.length) throw new Error(`${def.name}: guestkit takes ${def.args.length} arguments, libguestfs ${sig.args.length}`);
    const args = sig.args.map(([kind], i) => {
      const w = words[i]!;
      switch (kind) {
        case 'Int': case 'Int64': return ocamlInt(w);
        case 'Bool': return ocamlBool(w);
        case 'StringList': return w === '' ? [] : w.split(' ');
        case 'OptString': return w === 'NULL' ? null : w;
        case 'FileIn': case 'FileOut': return this.hostPath(w);
        default: return this.blankDiskPath(w);
      }
    });
    const optargs: Record<string, unknown> = {};
    sig.optargs.forEach(([kind, name], i) => {
      const w = words[sig.args.length + i]!;
      let v: unknown;
      switch (kind) {
        case 'OBool': v = w === '' ? undefined : ocamlBool(w); break;
        case 'OInt': case 'OInt64': v = w === '' ? undefined : ocamlInt(w); break;
        case 'OStringList': v = w === 'NOARG' ? undefined : w === '' ? [] : w.split(' '); break;
        default: v = w === 'NOARG' ? undefined : w;
      }
      if (v === undefined) return;
      if (!def.optargs?.some((o) => o.name === name)) throw new Error(`${def.name}: guestkit has no optional argument ${name}`);
      optargs[name] = v;
    });
    return { args, optargs };
  }

  private async call(line: string[]): Promise<unknown> {
    const def = findCommand(ourName(line[0]!))!;
    const sig = this.data.signatures[line[0]!];
    if (!sig) throw new Error(`${line[0]}: no upstream signature`);
    const { args, optargs } = this.convert(line, sig, def);
    return this.g!.call(def.name, args, optargs);
  }

  /** Commands the test, its cleanup or its init use that guestkit lacks (init's optional steps aside). */
  missingCommands(c: UpstreamCase): string[] {
    const lines = [...initSteps(c.init).filter((s) => !s.optional).map((s) => s.line), ...c.seq, ...(c.cleanup ?? [])];
    return [...new Set(lines.map((l) => l[0]!).filter((n) => !findCommand(ourName(n))))];
  }

  async run(c: UpstreamCase): Promise<Outcome> {
    const t0 = Date.now();
    const outcome = await this.runAndClean(c);
    return { ...outcome, ms: Date.now() - t0 };
  }

  private async runAndClean(c: UpstreamCase): Promise<Outcome> {
    try {
      return { id: c.id, ...(await this.runOne(c)) };
    } catch (e) {
      if (e instanceof SkipTest) return { id: c.id, status: e.status, reason: e.message };
      return { id: c.id, status: isNotSupported(e) ? 'unsupported' : 'fail', reason: errorText(e) };
    } finally {
      await this.cleanup(c);
    }
  }

  private async runOne(c: UpstreamCase): Promise<Omit<Outcome, 'id'>> {
    if (c.prereq === 'Disabled') return { status: 'skipped', reason: 'disabled upstream' };
    const missing = this.missingCommands(c);
    if (missing.length) return { status: 'unknown-command', reason: missing.join(' ') };
    if (c.unconverted) return { status: 'skipped', reason: c.unconverted };
    if (c.prereq.startsWith('IfAvailable ')) {
      const group = c.prereq.slice('IfAvailable '.length);
      if (!findCommand('feature-available')) return { status: 'skipped', reason: `IfAvailable ${group}: guestkit has no feature-available` };
      if (!(await this.g!.call('feature-available', [[group]]))) return { status: 'skipped', reason: `group ${group} not available` };
    }
    await this.init(c.init);
    const last = c.seq.length - 1;
    const results: unknown[] = [];
    for (let i = 0; i < last; i++) results.push(await this.call(c.seq[i]!));
    let ret: unknown;
    try {
      ret = await this.call(c.seq[last]!);
    } catch (e) {
      if (c.test === 'TestLastFail') return { status: 'pass' };
      if (c.test === 'TestRunOrUnsupported' && isNotSupported(e)) return { status: 'skipped', reason: 'last command returned ENOTSUP' };
      throw e;
    }
    const fail = (why: string) => ({ status: 'fail' as const, reason: why });
    switch (c.test) {
      case 'TestLastFail':
        return fail(`expected ${c.seq[last]![0]} to fail, it returned ${show(ret)}`);
      case 'TestRun': case 'TestRunOrUnsupported':
        return { status: 'pass' };
      case 'TestResultTrue': case 'TestResultFalse': {
        const want = c.test === 'TestResultTrue';
        return ret === want ? { status: 'pass' } : fail(`expected ${want}, got ${show(ret)}`);
      }
      case 'TestResultString': {
        const want = this.placeholders.get(c.expected!) ?? c.expected!;
        return ret === want ? { status: 'pass' } : fail(`expected ${show(want)}, got ${show(ret)}`);
      }
      case 'TestResultDevice':
        return typeof ret === 'string' && ret.replace(/^\/dev\/[a-z]*d/, '') === c.expected!.replace(/^\/dev\/[a-z]*d/, '') ? { status: 'pass' } : fail(`expected device ${c.expected}, got ${show(ret)}`);
      case 'TestResult': {
        const vars: Record<string, unknown> = { ret, size: ret instanceof Uint8Array ? ret.length : 0 };
        results.forEach((r, i) => { vars[`ret${last - i}`] = r; });
        return evalCheck(c.expr!, { vars, hostFile: (p) => this.hostPath(p) }) ? { status: 'pass' } : fail(`false: ${c.expr} (ret = ${show(ret)})`);
      }
    }
    return fail(`unknown test kind ${c.test}`);
  }

  /** Runs the init sequence; steps marked optional are left out when guestkit or the backend lacks their command. */
  private async init(kind: string): Promise<void> {
    for (const step of initSteps(kind)) {
      if (step.optional && !findCommand(ourName(step.line[0]!))) continue;
      try {
        if (step.line[0] === 'mkfs' && step.line[1] === 'ext2') await this.mkfsExt2(step.line[2]!);
        else await this.call(step.line);
      } catch (e) {
        if (e instanceof SkipTest) throw e;
        // An optional step the backend refuses undoes nothing it could have set up (the wasm backend has no LVM writes).
        if (step.optional && isNotSupported(e)) continue;
        if (isNotSupported(e)) throw new SkipTest('unsupported', `init ${kind}: ${errorText(e)}`);
        throw new Error(`init ${kind}: ${step.line.join(' ')}: ${errorText(e)}`);
      }
    }
  }

  private async cleanup(c: UpstreamCase): Promise<void> {
    for (const line of c.cleanup ?? []) {
      if (!findCommand(ourName(line[0]!))) continue;
      await this.call(line).catch(() => undefined);
    }
    // A handle that died (an appliance crash) would fail every later test: start a new one.
    if (this.g && (await this.g.call('mounts', []).then(() => false, () => true))) {
      await this.stop().catch(() => undefined);
      await this.launch();
    }
  }
}

export function show(v: unknown): string {
  if (v instanceof Uint8Array) return `<${v.length} bytes: ${JSON.stringify(Buffer.from(v.subarray(0, 40)).toString('latin1'))}>`;
  const s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
  return s === undefined ? String(v) : s.length > 160 ? `${s.slice(0, 160)}…` : s;
}
