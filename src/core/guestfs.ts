/**
 * The handle. Its life is config → launched → closed. Every command of the table
 * is a method (camelCase) that goes through one wrapper: state check, argument
 * validation by kind, choice of the backend's implementation, and the command's
 * name attached to any error.
 */
import { COMMANDS, findCommand, type CommandMethods } from '../api/commands.js';
import { camelCase, type CallItem, type CallResult, type CommandDef, type HandleState } from '../api/types.js';
import type { BackendName, DriveConfig } from '../backend/backend.js';
import type { BackendCapabilities } from '../backend/capabilities.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import { batcherFor, implementationFor, implementsCommand, type KnownBackend } from './dispatch.js';
import { callMany } from './call-many.js';
import { chooseBackend, type BackendChoice, type BackendNeeds } from './backend-choice.js';
import { WasmBackend } from '../backend/wasm/wasm-backend.js';
import { ErrnoError, GuestkitError, MountOptionsInWasmError, NotSupportedError, ReadOnlyInWasmError, StateError } from '../errors/index.js';
import { validateArg, validateOptArg } from './arg-kinds.js';
import { validateFormat } from '../block/format.js';
import { checkWritable } from '../block/image-lock.js';
import { ofdLockProblem } from '../block/ofd-lock-helper.js';
import { isNbdUri } from '../block/nbd/uri.js';
import { isVmxPath, readVmxDisks } from '../block/vmx.js';
import { existsSync } from 'node:fs';
import { HandleSettings } from './handle-settings.js';
import { resolveBackendName } from './backend-name.js';
import { MountLog, unmovableState } from './session-move.js';
import { callSignal } from '../backend/call-signal.js';

/** Options of one call (Guestfs.call's last argument, or `signal` in a method's trailing object). */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface GuestfsOptions {
  /**
   * 'wasm' (in process), 'appliance' (a qemu microVM) or 'auto' (the default, or
   * $GUESTKIT_BACKEND): wasm when it serves every filesystem and command involved,
   * else the appliance (see backend-choice.ts).
   */
  backend?: BackendName | 'auto';
  /** For 'auto': the commands and devices the caller will use. */
  needs?: BackendNeeds;
  /** Verbose messages (the backend chosen and why, the appliance's boot time). */
  log?: (line: string) => void;
  /** Where fish-style output for FileOut '-' goes; defaults to process.stdout. */
  stdout?: NodeJS.WritableStream;
}

export { resolveBackendName };

async function createAppliance(settings: HandleSettings, log?: (line: string) => void): Promise<ApplianceBackend> {
  // Loaded only when asked for: wasm users never pay for it.
  const { ApplianceBackend } = await import('../backend/appliance/appliance-backend.js');
  return new ApplianceBackend({ ...settings.applianceOptions(), log });
}

/** The handle events guestkit raises (libguestfs's names). */
export type HandleEvent = 'close' | 'launch_done' | 'enter';
export type HandleEventListener = (event: HandleEvent, message: string) => void | Promise<void>;

/** A command's error as the wrapper gives it: typed, with the command's name. */
function namedError(e: unknown, command: string): GuestkitError {
  if (e instanceof GuestkitError) {
    e.command ??= command;
    return e;
  }
  return new GuestkitError('EIO', (e as Error)?.message ?? String(e), { cause: e, command });
}

class GuestfsBase implements HandleState {
  state: 'config' | 'launched' | 'closed' = 'config';
  readonly drives: DriveConfig[] = [];
  /** After launch: the backend in use and why it was chosen. */
  backendChoice?: BackendChoice;
  stdout: NodeJS.WritableStream;
  readonly sessions = new Map<string, unknown>();
  /** get-/set- settings (memsize, append, backend, ...). */
  readonly settings: HandleSettings;
  private backend?: KnownBackend;
  private readonly mountLog = new MountLog();
  private readonly needs: BackendNeeds;
  readonly log?: (line: string) => void;
  private readonly closeHooks: (() => void | Promise<void>)[] = [];
  private readonly eventListeners = new Set<HandleEventListener>();
  private cancelRequested = false;

  constructor(opts: GuestfsOptions = {}) {
    this.settings = new HandleSettings(resolveBackendName(opts.backend));
    this.needs = opts.needs ?? {};
    this.log = opts.log;
    this.stdout = opts.stdout ?? process.stdout;
  }

  /** What was asked for: a backend, or 'auto' (set-backend changes it before launch). */
  get requestedBackend(): BackendName | 'auto' {
    return this.settings.backend;
  }

  /** The backend in use (after launch), else the one asked for ('auto' counts as wasm until launch decides). */
  get backendName(): BackendName {
    return this.backend?.name ?? (this.requestedBackend === 'auto' ? 'wasm' : this.requestedBackend);
  }

  /**
   * `transactional`: writes stay in an overlay until commit() (see Backend.commit);
   * closing without commit() leaves the image as it was.
   */
  addDrive(file: string, opts: { format?: string; readonly?: boolean; transactional?: boolean; locking?: boolean } = {}): void {
    if (this.state !== 'config') throw new StateError('drives can only be added before launch');
    if (!file) throw new ErrnoError('EINVAL', 'empty drive name');
    if (opts.format !== undefined) validateFormat(opts.format);
    // A VMware .vmx stands for the hard disks it lists (their format is probed: a .vmx has none of its own).
    if (isVmxPath(file) && opts.format === undefined) {
      for (const disk of readVmxDisks(file)) this.addDrive(disk, opts);
      return;
    }
    this.drives.push({ file, format: opts.format, readonly: !!opts.readonly, ...(opts.transactional ? { transactional: true } : {}), ...(opts.locking === false ? { locking: false } : {}) });
  }

  async launch(): Promise<void> {
    if (this.state === 'launched') throw new StateError('the handle is already launched');
    if (this.state === 'closed') throw new StateError('the handle is closed');
    if (this.drives.length === 0) throw new StateError('no drives added: call add-drive (-a) before launch');
    // A drive this session will write (now, or at a transactional commit) must not be in use by a
    // qemu that writes it or forbids writes: refuse before any work is done on it.
    for (const d of this.drives) {
      if ((!d.readonly || d.transactional) && d.locking !== false && !isNbdUri(d.file) && existsSync(d.file)) checkWritable(d.file);
    }
    const lockProblem = ofdLockProblem();
    if (lockProblem && this.drives.some((d) => d.locking !== false && !isNbdUri(d.file))) this.log?.(`image locks: ${lockProblem}: guestkit takes none, it only checks /proc/locks before writing`);
    const backend = await this.startBackend();
    this.backend = backend;
    this.state = 'launched';
    await this.emit('launch_done');
  }

  /** Listens to the handle's events (close, launch_done, enter); returns the function that stops listening. */
  onEvent(listener: HandleEventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private async emit(event: HandleEvent, message = ''): Promise<void> {
    for (const l of [...this.eventListeners]) await l(event, message);
  }

  onClose(fn: () => void | Promise<void>): void {
    this.closeHooks.push(fn);
  }

  cancelTransfer(): void {
    this.cancelRequested = true;
  }

  private readonly progressListeners = new Set<(done: number, total: number) => void>();

  /** Listens to the progress of long commands (tar-in, tar-out, and the tools built on them); returns the function that stops listening. */
  onProgress(listener: (done: number, total: number) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  progress(done: number, total: number): void {
    for (const l of this.progressListeners) l(done, total);
  }

  transferCancelled(begin = false): boolean {
    if (begin) this.cancelRequested = false;
    return this.cancelRequested;
  }

  private choose(c: BackendChoice): void {
    this.backendChoice = c;
    this.log?.(`backend: ${c.name} (${c.reason})`);
  }

  /** Launches the requested backend; for 'auto', opens the drives in process and decides from what is on them. */
  private async startBackend(): Promise<KnownBackend> {
    const requested = this.requestedBackend;
    if (requested === 'appliance') {
      this.choose({ name: 'appliance', reason: 'asked for' });
      const b = await createAppliance(this.settings, this.log);
      await b.launch(this.drives);
      return b;
    }
    // A caller that will mount nothing (needs.devices empty) does not need the filesystem worker started ahead.
    const wasm = new WasmBackend({ prestartWorker: this.needs.devices === undefined || this.needs.devices.length > 0 });
    await wasm.launch(this.drives);
    if (requested === 'wasm') {
      this.choose({ name: 'wasm', reason: 'asked for' });
      return wasm;
    }
    let choice: BackendChoice;
    try {
      choice = await chooseBackend(wasm, this.needs);
    } catch (e) {
      await wasm.shutdown().catch(() => undefined);
      throw e;
    }
    this.choose({ name: choice.name, reason: `auto: ${choice.reason}` });
    if (choice.name === 'wasm') return wasm;
    await wasm.shutdown();
    const b = await createAppliance(this.settings, this.log);
    await b.launch(this.drives);
    return b;
  }

  async shutdown(): Promise<void> {
    this.sessions.clear();
    this.mountLog.clear();
    const b = this.backend;
    this.backend = undefined;
    this.state = 'closed';
    if (b) await b.shutdown();
  }

  /**
   * Writes the transactional drives' changes to their images (fsync'd), after
   * unmounting every filesystem. Ends the session: close the handle afterwards.
   */
  async commit(): Promise<void> {
    if (this.state !== 'launched') throw new StateError("call 'launch' before commit");
    await this.backend!.commit();
  }

  /** Shuts down (if launched) and releases everything. */
  async close(): Promise<void> {
    await this.emit('close');
    this.eventListeners.clear();
    try {
      if (this.state !== 'closed') await this.shutdown();
    } finally {
      for (const fn of this.closeHooks.splice(0)) await fn();
    }
  }

  /**
   * Calls a command by its fish name with typed arguments. `opts.signal`
   * cancels the call: it fails with ECANCELED, and on the appliance the
   * running command is killed in the guest (the session stays usable); the
   * wasm backend checks it when the call starts.
   */
  async call(name: string, args: unknown[], optargs: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<unknown> {
    const def = findCommand(name);
    if (!def) throw new ErrnoError('EINVAL', `${name}: unknown command`);
    if (this.eventListeners.size) await this.emit('enter', def.name.replace(/-/g, '_'));
    try {
      const { signal } = opts;
      if (signal?.aborted) throw new GuestkitError('ECANCELED', 'the call was cancelled');
      const result = signal ? await callSignal.run(signal, () => this.invoke(def, args, optargs)) : await this.invoke(def, args, optargs);
      this.mountLog.record(def.name, args, optargs);
      return result;
    } catch (e) {
      throw namedError(e, def.name);
    }
  }

  /**
   * Several calls in order; each result is the call's value or the error it
   * would have thrown alone. On the appliance, runs of calls that are one agent
   * script each (file tests, stat, readlink, read-file, ls, readdir, rm, blkid
   * and device lists) go out as one request (see call-many.ts).
   */
  async callMany(calls: readonly CallItem[]): Promise<CallResult[]> {
    return callMany(calls, {
      prepare: (c) => {
        const def = findCommand(c.name);
        if (!def) throw new ErrnoError('EINVAL', `${c.name}: unknown command`);
        try {
          return { def, ...this.prepare(def, c.args, c.optargs ?? {}) };
        } catch (e) {
          throw namedError(e, def.name);
        }
      },
      callOne: (c) => this.call(c.name, c.args, c.optargs),
      named: (e, def) => (def ? namedError(e, def.name) : e),
      enter: async (def) => {
        if (this.eventListeners.size) await this.emit('enter', def.name.replace(/-/g, '_'));
      },
      batcher: batcherFor(this.backend),
    });
  }

  /** The state check and the arguments validated by kind, as every call does them. */
  private prepare(def: CommandDef, args: unknown[], optargs: Record<string, unknown>): { args: unknown[]; optargs: Record<string, unknown> } {
    const phase = def.phase ?? 'launched';
    if (phase === 'launched' && this.state !== 'launched') {
      throw new StateError(this.state === 'closed' ? 'the handle is closed' : "call 'launch' (or 'run') before this command");
    }
    if (phase === 'config' && this.state !== 'config') {
      throw new StateError(`this command is only valid before launch`);
    }
    if (args.length !== def.args.length) {
      throw new ErrnoError('EINVAL', `expecting ${def.args.length} argument${def.args.length === 1 ? '' : 's'}, got ${args.length}`);
    }
    const typed = def.args.map((a, i) => validateArg(a, args[i]));
    const typedOpt: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(optargs)) {
      if (v === undefined) continue;
      const od = def.optargs?.find((o) => o.name === k);
      if (!od) throw new ErrnoError('EINVAL', `unknown optional argument '${k}'`);
      typedOpt[k] = validateOptArg(od, v);
    }
    return { args: typed, optargs: typedOpt };
  }

  private async invoke(def: CommandDef, args: unknown[], optargs: Record<string, unknown>): Promise<unknown> {
    const { args: typed, optargs: typedOpt } = this.prepare(def, args, optargs);
    const base = {
      handle: this,
      call: (n: string, a: unknown[], o?: Record<string, unknown>) => this.call(n, a, o),
      callMany: (calls: readonly CallItem[]) => this.callMany(calls),
    };
    let impl = implementationFor(def, this.backend, base);
    if (!impl && this.requestedBackend === 'auto' && this.backend && !implementsCommand(def, this.backend.name) && implementsCommand(def, 'appliance')) {
      await this.moveToAppliance(def.name, `${def.name} runs only in the appliance`);
      impl = implementationFor(def, this.backend, base);
    }
    if (!impl) throw new NotSupportedError(def.name, this.backendName);
    try {
      return await impl(typed, typedOpt);
    } catch (e) {
      if (this.requestedBackend !== 'auto' || this.backend?.name !== 'wasm') throw e;
      // A read-write mount of a filesystem the wasm backend only reads (xfs, btrfs), mount options it
      // does not act on, or a case only the appliance answers (file on an ELF binary): the session
      // moves, as libguestfs would just do it.
      const why = e instanceof ReadOnlyInWasmError ? `${def.name}: ${e.fsType} is written only by the appliance`
        : e instanceof MountOptionsInWasmError ? `${def.name}: options "${e.options}" on ${e.fsType} are served only by the appliance`
        : e instanceof NotSupportedError && implementsCommand(def, 'appliance') ? e.message : undefined;
      if (!why) throw e;
      await this.moveToAppliance(def.name, why, e as GuestkitError);
      return implementationFor(def, this.backend, base)!(typed, typedOpt);
    }
  }

  /**
   * 'auto' only: a command that only the appliance runs arrived after launch chose
   * wasm. The session moves (see session-move.ts) or the command fails as not supported.
   */
  private async moveToAppliance(command: string, reason: string, failure?: GuestkitError): Promise<void> {
    const from = this.backend!;
    const why = await unmovableState(from, this.sessions);
    if (why) {
      this.log?.(`backend: staying on ${from.name} for ${command}: ${why}`);
      throw failure ?? new NotSupportedError(command, from.name);
    }
    this.log?.(`backend: moving to the appliance (auto: ${reason})`);
    const mounts = [...this.mountLog.entries];
    this.backend = undefined;
    this.state = 'config';
    this.mountLog.clear();
    await from.shutdown();
    const to = await createAppliance(this.settings, this.log);
    try {
      await to.launch(this.drives);
    } catch (e) {
      this.state = 'closed';
      throw e;
    }
    this.backend = to;
    this.state = 'launched';
    this.choose({ name: 'appliance', reason: `auto: ${reason}` });
    for (const m of mounts) await this.call(m.command, m.args, m.optargs);
  }

  /** What the backend in use can do (after launch): which filesystems it mounts, whether it runs guest programs. */
  get capabilities(): BackendCapabilities {
    if (!this.backend) throw new StateError("call 'launch' before asking what the backend can do");
    return this.backend.capabilities;
  }
}

// Methods derived from the table: guestfs.mountRo('/dev/sda1', '/'), guestfs.addDrive(file, { readonly: true }).
// They live on a prototype object of their own, between Guestfs and GuestfsBase, filled
// by plain assignment before it becomes a prototype: defining several hundred properties
// one by one on a class's prototype is slow in V8 (each is a change to a prototype
// object) and cost a noticeable part of every command line tool's cold start.
const commandMethods: Record<string, unknown> = Object.create(GuestfsBase.prototype);
for (const def of COMMANDS as readonly CommandDef[]) {
  const method = camelCase(def.name);
  if (method in GuestfsBase.prototype) continue; // addDrive, launch, shutdown have handle methods already
  commandMethods[method] = function (this: GuestfsBase, ...args: unknown[]) {
    // a trailing object holds the optional arguments, and `signal` (see call())
    const last = args[def.args.length];
    const hasOpt = args.length === def.args.length + 1 && typeof last === 'object' && last !== null && !Array.isArray(last) &&
      !(last instanceof Uint8Array) && ((def.optargs?.length ?? 0) > 0 || 'signal' in last);
    const { signal, ...opt } = hasOpt ? (args.pop() as Record<string, unknown>) : {};
    return this.call(def.name, args, opt, { signal: signal as AbortSignal | undefined });
  };
}

type Derived = Omit<CommandMethods, 'addDrive' | 'launch' | 'shutdown'>;

export interface Guestfs extends Derived {}
export class Guestfs extends GuestfsBase {}
Object.setPrototypeOf(Guestfs.prototype, commandMethods);
