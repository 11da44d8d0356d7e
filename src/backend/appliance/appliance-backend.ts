/**
 * The appliance backend: a qemu microVM running a Debian kernel (uncompressed
 * vmlinux, PVH entry) and a small initramfs whose agent (busybox ash) answers
 * requests over a virtio-serial port. The guest kernel does the filesystems.
 *
 * Drives: local files are served to qemu over NBD on private unix sockets
 * (drive-servers.ts): by guestkit's own NBD server in this process for the
 * images guestkit opens itself (raw, qcow2 and its backing chain, read-only
 * vmdk), so the image is parsed and lock-checked as the wasm backend does it;
 * by a qemu-nbd child only for the formats guestkit cannot read (vhdx, vdi,
 * vpc, qed, writable vmdk). NBD URIs go to qemu directly. Read-only drives are
 * exported read-only and attached with qemu's snapshot=on: the guest may write
 * (journal replay, scratch data), the writes land in a temporary qcow2 overlay
 * that qemu deletes, and nothing can reach the image.
 *
 * The agent's socket: we listen, qemu connects as the client. qemu and
 * qemu-nbd are reaped, and the drives closed, on shutdown, on errors and on
 * SIGINT/SIGTERM/exit.
 */
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { validateFormat } from '../../block/format.js';
import { isNbdUri, parseNbdUri, type NbdTarget } from '../../block/nbd/uri.js';
import { GuestkitError } from '../../errors/index.js';
import type { Backend, DriveConfig } from '../backend.js';
import { CAPABILITIES } from '../capabilities.js';
import { Qcow2Overlay } from '../../block/qcow2-overlay.js';
import { settleInterruptedCommit } from '../../block/external-open.js';
import { callSignal } from '../call-signal.js';
import { AgentClient, type AgentReply, type RequestType } from './agent-client.js';
import { AGENT_PORT_NAME, buildAppliance, discardAppliance, type Appliance, type InitrdCompression } from './build.js';
import { hasExited, removeDir, spawnTracked, stopChild, trackDir, waitExit } from './children.js';
import { serveDrive, type DriveServer } from './drive-servers.js';
import { guestRequestError } from './guest-errors.js';
import { timingEnabled, timingMark } from '../../util/timing-trace.js';
import { QmpClient } from './qmp.js';
import { toolsDriveArgs } from './tools-image.js';
import { commitVmState, pruneVmStates, removeVmState, touchVmState, vmStateFiles, vmStateProblem, vmStateTemp, type VmStateFiles } from './vm-state.js';

export interface ApplianceOptions {
  /** Guest memory (MiB). Default 512. */
  memoryMiB?: number;
  /** Virtual CPUs. Default 1. */
  smp?: number;
  /** Where the private directory (sockets, overlays, console log) is made. Default os.tmpdir(). */
  tmpDir?: string;
  /** Boot timeout (ms). Default 60 s under TCG, 20 s with KVM. */
  bootTimeoutMs?: number;
  /** Default per-call timeout (ms). Default $GUESTKIT_CALL_TIMEOUT seconds, else 600 s. */
  callTimeoutMs?: number;
  /** How long a cancelled call's guest side may take to stop (default CANCEL_GRACE_MS) before the session is given up. */
  cancelGraceMs?: number;
  /** Extra kernel command-line words (experiments, fault tests). */
  append?: string[];
  /** The -cpu model under TCG (experiments; default: see TCG_CPU). */
  tcgCpu?: string;
  /** Force TCG even when /dev/kvm is usable. */
  noKvm?: boolean;
  qemu?: string;
  qemuNbd?: string;
  cacheDir?: string;
  /** Use this kernel/initramfs instead of building (tests, experiments). */
  appliance?: Appliance;
  /** Compress the initramfs (see BuildOptions.compress; default: uncompressed). */
  compress?: InitrdCompression;
  /** Progress lines (build, boot time). */
  log?: (line: string) => void;
  /** Let the guest print its kernel messages and init progress to the console log. */
  verbose?: boolean;
  /** Where the appliance's sources are read from (set-path); default: the package's appliance/. */
  sourceDir?: string;
  /** qemu parameters added by `config`, as -param [value] pairs, after guestkit's own. */
  qemuParams?: readonly (readonly [string, string | null])[];
  /**
   * Start from a saved VM state when there is one for this appliance, qemu and
   * machine, and save one after a plain boot (default true; false, or
   * GUESTKIT_APPLIANCE_VM_STATE=0, always boots).
   */
  vmState?: boolean;
}

export interface ApplianceTimings {
  /** qemu spawn → READY (ms). */
  bootMs: number;
  /** launch() entry → READY (ms), including the build/cache lookup and the drives' NBD servers. */
  launchMs: number;
  kvm: boolean;
  /** Started from a saved VM state rather than booted. */
  restored: boolean;
  /** Time spent saving the VM state after this boot (ms), if it was saved. */
  saveMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Single-quotes a string for the guest shell. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The text of a small file, or undefined. */
function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Why KVM failed in this process, once it has: later launches go straight to TCG. */
let kvmFailure: string | undefined;

export function kvmUsable(): boolean {
  try {
    fs.closeSync(fs.openSync('/dev/kvm', fs.constants.O_RDWR));
    return true;
  } catch {
    return false;
  }
}

/** The host CPU frequency in kHz (for tsc_early_khz), or null. */
export function hostCpuKhz(): number | null {
  try {
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return Math.round(Number(m[1]) * 1000);
  } catch {
    // not Linux
  }
  return null;
}

export class ApplianceBackend implements Backend {
  readonly name = 'appliance' as const;
  readonly capabilities = CAPABILITIES.appliance;
  private readonly opts: ApplianceOptions;
  private dir?: string;
  private qemu?: ChildProcess;
  private qemuStderr = '';
  private nbd: DriveServer[] = [];
  private server?: net.Server;
  private agent?: AgentClient;
  private closing?: Promise<void>;
  private configs: DriveConfig[] = [];
  /** The qcow2 overlays of the transactional drives (commit() writes them through). */
  private overlays: Qcow2Overlay[] = [];
  /** Set when the NBD server of a drive stopped serving it during the session. */
  private lostDrive?: string;
  appliance?: Appliance;
  timings?: ApplianceTimings;

  constructor(opts: ApplianceOptions = {}) {
    this.opts = opts;
  }

  get drives(): readonly DriveConfig[] {
    return this.configs;
  }

  get consoleLog(): string | undefined {
    return this.dir ? path.join(this.dir, 'console.log') : undefined;
  }

  /** The qemu process id (for tests and diagnostics). */
  get qemuPid(): number | undefined {
    return this.qemu?.pid;
  }

  /** The qemu-nbd process ids, one per local drive guestkit cannot open itself (for tests and diagnostics). */
  get nbdPids(): number[] {
    return this.nbd.flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
  }

  // ------------------------------------------------------------ launch

  async launch(drives: DriveConfig[]): Promise<void> {
    if (this.qemu || this.closing) throw new GuestkitError('ESTATE', 'the appliance was already launched');
    const t0 = Date.now();
    this.configs = drives;
    try {
      for (const d of drives) await settleInterruptedCommit(d);
      await this.doLaunch(await this.overlayTransactional(drives), t0);
    } catch (e) {
      await this.teardown(false);
      this.disposeOverlays();
      throw e;
    }
  }

  private async doLaunch(drives: DriveConfig[], t0: number): Promise<void> {
    const log = this.opts.log;
    this.appliance = this.opts.appliance ?? buildAppliance({ cacheDir: this.opts.cacheDir, compress: this.opts.compress, log, sourceDir: this.opts.sourceDir });

    this.dir = await fs.promises.mkdtemp(path.join(this.opts.tmpDir ?? os.tmpdir(), 'guestkit-appliance-'));
    trackDir(this.dir);
    await fs.promises.chmod(this.dir, 0o700);
    const dir = this.dir;

    const driveArgs = await this.serveDrives(drives, dir);

    // A KVM failure is remembered beside the cached appliance too, so that later
    // processes on this host (same kernel, same qemu) boot under TCG at once.
    const qemuBin = this.opts.qemu ?? 'qemu-system-x86_64';
    const marker = path.join(this.appliance!.dir, 'kvm-unusable');
    const stamp = `${os.release()} ${qemuBin}\n`;
    const knownBroken = kvmFailure !== undefined || readText(marker) === stamp;
    const kvmPresent = kvmUsable();
    const wantKvm = !this.opts.noKvm && kvmPresent && !knownBroken;
    if (knownBroken && kvmPresent) log?.('appliance: KVM failed before on this host: using TCG');
    if (await this.tryRestore(dir, driveArgs, drives, wantKvm, t0)) return;
    try {
      await this.bootQemu(dir, driveArgs, wantKvm, t0);
    } catch (e) {
      // Some hosts expose /dev/kvm but qemu cannot run a vCPU on it (nested
      // virtualisation refusing an MSR: qemu aborts at once). TCG still works
      // there: retry once without KVM and remember it for this process.
      // Only a qemu that died by itself naming KVM: one killed from outside is that fault, not KVM's.
      if (!wantKvm || !(e instanceof GuestkitError) || e.code !== 'ECHILD_PROC' || !this.qemuDiedEarly || !/kvm/i.test(this.qemuStderr)) throw e;
      kvmFailure = e.message;
      log?.(`appliance: KVM did not work (${e.message}); using TCG`);
      try {
        fs.writeFileSync(marker, stamp);
      } catch {
        // a read-only cache only costs the failed KVM start again next time
      }
      await this.resetBoot();
      await this.bootQemu(dir, driveArgs, false, t0);
    }
    const kvm = this.timings!.kvm;
    if (this.vmStateWanted()) {
      const files = this.vmStateFilesFor(dir, drives, kvm);
      if (vmStateProblem(files) !== null) await this.saveVmState(files);
    }
    await this.attach(drives.length, false);
  }

  private vmStateWanted(): boolean {
    return this.opts.vmState ?? process.env.GUESTKIT_APPLIANCE_VM_STATE !== '0';
  }

  /** The state files for this machine: keyed by qemu's arguments without the drives. */
  private vmStateFilesFor(dir: string, drives: DriveConfig[], kvm: boolean): VmStateFiles {
    return vmStateFiles({
      applianceDir: this.appliance!.dir,
      qemu: this.opts.qemu ?? 'qemu-system-x86_64',
      args: this.machineArgs(dir, [], kvm),
      sessionDir: dir,
      drives,
      files: this.appliance!.tools ? [this.appliance!.tools] : [],
    });
  }

  /**
   * Starts qemu from the saved VM state, when there is a usable one: the agent
   * is already running in it, the drives are probed by `attach`. Any failure
   * (qemu cannot load the state, the agent does not answer, the drives do not
   * show up) removes the state and returns false for a plain boot.
   */
  private async tryRestore(dir: string, driveArgs: string[], drives: DriveConfig[], kvm: boolean, t0: number): Promise<boolean> {
    if (!this.vmStateWanted()) return false;
    const files = this.vmStateFilesFor(dir, drives, kvm);
    const problem = vmStateProblem(files);
    if (problem) {
      if (this.opts.verbose) this.opts.log?.(`appliance: ${problem}: booting`);
      return false;
    }
    try {
      await this.bootQemu(dir, driveArgs, kvm, t0, files.state);
      await this.attach(drives.length, true);
      touchVmState(files);
      this.opts.log?.(`appliance: restored the saved VM state: ready in ${Date.now() - t0} ms (launch; ${this.timings!.kvm ? 'KVM' : 'TCG'})`);
      return true;
    } catch (e) {
      // qemu killed from outside (not by our own timeout) says nothing about the state: that fault is the answer.
      const q = this.qemu;
      if (q && q.signalCode && !(e instanceof GuestkitError && e.code === 'ETIMEDOUT')) {
        throw new GuestkitError('ECHILD_PROC', `the appliance did not start: ${this.goneReason((e as Error).message)}${this.diagnostics()}`, { cause: e });
      }
      this.opts.log?.(`appliance: the saved VM state could not be restored (${(e as Error).message}): booting`);
      removeVmState(files);
      await this.resetBoot();
      return false;
    }
  }

  /**
   * Saves the running VM's state (after loading the modules most sessions need):
   * qemu migrates it to a file while the guest idles in the agent's read, then
   * the VM continues. The file is renamed by the shell qemu runs once it has
   * written the last byte. A failed save only costs this session the time.
   */
  private async saveVmState(files: VmStateFiles): Promise<void> {
    const log = this.opts.log;
    const t = Date.now();
    let tmp: string | undefined;
    let qmp: QmpClient | undefined;
    try {
      await this.sh('preload', { timeoutMs: 60_000 });
      qmp = await QmpClient.connect(path.join(this.dir!, 'qmp.sock'), 5000);
      tmp = vmStateTemp(files);
      const done = `${tmp}.done`;
      // One pass at full speed: the default bandwidth cap (128 MiB/s) and downtime limit would stretch it.
      await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 2 ** 40, 'downtime-limit': 60_000 });
      await qmp.execute('migrate', { uri: `exec:cat > ${sq(tmp)} && mv ${sq(tmp)} ${sq(done)}` });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const st = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
        if (st.status === 'completed' && fs.existsSync(done)) break;
        if (st.status === 'failed' || st.status === 'cancelled') throw new Error(`migration ${st.status}${st['error-desc'] ? `: ${st['error-desc']}` : ''}`);
        if (Date.now() > deadline) {
          await qmp.execute('migrate_cancel').catch(() => undefined);
          throw new Error('the migration did not finish within 60 s');
        }
        await sleep(5);
      }
      const size = commitVmState(files, done);
      this.timings!.saveMs = Date.now() - t;
      log?.(`appliance: saved the VM state (${(size / 1048576).toFixed(0)} MiB) in ${this.timings!.saveMs} ms`);
    } catch (e) {
      log?.(`appliance: could not save the VM state: ${(e as Error).message}`);
      if (tmp) for (const p of [tmp, `${tmp}.done`]) fs.rmSync(p, { force: true });
    } finally {
      pruneVmStates(files);
      // A completed migration leaves the VM paused; a failed one leaves it running (cont is harmless).
      if (qmp) {
        try {
          await qmp.execute('cont');
        } finally {
          qmp.close();
        }
      }
    }
  }

  /** Starts the session in the guest (clock, random seed, block driver) and checks the drives are all there. */
  private async attach(count: number, restored: boolean): Promise<void> {
    const secs = Math.floor(Date.now() / 1000);
    let out: string;
    try {
      out = await this.shText(`attach ${secs}${restored ? ' reseed' : ''}`, {
        stdin: restored ? crypto.randomBytes(64) : undefined,
        timeoutMs: restored ? 30_000 : 60_000,
      });
    } catch (e) {
      throw this.toolsImageError(e);
    }
    const n = Number(out.trim());
    if (n !== count) throw new GuestkitError('EIO', `the appliance sees ${out.trim() || 'no'} drives, ${count} attached`);
  }

  /**
   * A tools image the guest could not mount (damaged in a way its size and time
   * do not show): the cached appliance is discarded, so that the next launch
   * builds it again, and the error says so. Other errors are returned as they are.
   */
  private toolsImageError(e: unknown): unknown {
    const tools = this.appliance?.tools;
    if (!tools || !(e instanceof GuestkitError) || !/tools image could not be mounted/.test(e.message)) return e;
    const rebuilt = !this.opts.appliance && discardAppliance(this.appliance!.dir);
    return new GuestkitError('EIO', `${e.message.replace(/^EIO /, '')} (${tools})${rebuilt ? ': it is built again at the next launch' : ''}`, { cause: e });
  }

  /** Whether the last qemu exited by itself (rather than timing out or losing the agent). */
  private qemuDiedEarly = false;
  /** When the current qemu was started (performance.now()): older NBD connections were another qemu's. */
  private qemuSpawnedAt = 0;

  /** Drops what a failed boot left (qemu, the agent socket) so that another boot can start. */
  private async resetBoot(): Promise<void> {
    if (this.qemu) await stopChild(this.qemu, 0);
    this.qemu = undefined;
    this.agent = undefined;
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
    this.qemuStderr = '';
    await fs.promises.rm(path.join(this.dir!, 'agent.sock'), { force: true });
    await fs.promises.rm(path.join(this.dir!, 'qmp.sock'), { force: true });
  }

  /** Starts qemu on the drives and waits for the agent's READY. */
  /** qemu's arguments for this session (restoring a saved state needs the very same machine). */
  private machineArgs(dir: string, driveArgs: string[], kvm: boolean): string[] {
    const appliance = this.appliance!;
    const args = qemuArgs({
      kernel: appliance.kernel,
      initrd: appliance.initrd,
      memoryMiB: this.opts.memoryMiB ?? 512,
      smp: this.opts.smp ?? 1,
      kvm,
      consoleLog: path.join(dir, 'console.log'),
      agentSock: path.join(dir, 'agent.sock'),
      driveArgs,
      verbose: !!this.opts.verbose,
      append: this.opts.append ?? [],
      tcgCpu: this.opts.tcgCpu ?? TCG_CPU,
      tools: appliance.tools,
    });
    args.push('-qmp', `unix:${path.join(dir, 'qmp.sock').replace(/,/g, ',,')},server=on,wait=off`);
    for (const [param, value] of this.opts.qemuParams ?? []) args.push(param, ...(value === null ? [] : [value]));
    return args;
  }

  /** Starts qemu on the drives (booting, or loading `restoreFrom`) and waits until the agent can take requests. */
  private async bootQemu(dir: string, driveArgs: string[], kvm: boolean, t0: number, restoreFrom?: string): Promise<void> {
    const log = this.opts.log;
    this.qemuDiedEarly = false;
    // The agent socket: we listen, qemu connects.
    const agentSock = path.join(dir, 'agent.sock');
    const server = net.createServer();
    this.server = server;
    const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(agentSock, () => {
        server.off('error', reject);
        resolve();
      });
    });

    const args = this.machineArgs(dir, driveArgs, kvm);
    // The state is read by a shell qemu starts (qemu 7.2 has no file: migration URI).
    if (restoreFrom) args.push('-incoming', `exec:cat ${sq(restoreFrom)}`);
    const qemuBin = this.opts.qemu ?? 'qemu-system-x86_64';
    const tq = Date.now();
    this.qemuSpawnedAt = performance.now();
    // TMPDIR: qemu's snapshot=on overlays (vl.XXXXXX) land in our private dir, which is
    // removed even when qemu is killed before it can delete them itself.
    const qemu = spawnTracked(qemuBin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: this.dir } });
    this.qemu = qemu;
    qemu.stderr!.setEncoding('utf8');
    qemu.stderr!.on('data', (s: string) => {
      if (this.qemuStderr.length < 65536) this.qemuStderr += s;
    });
    const spawnError = new Promise<Error>((resolve) => qemu.once('error', resolve));
    const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));

    const timeoutMs = this.opts.bootTimeoutMs ?? (kvm ? 20_000 : 60_000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const ready = (async () => {
        const sock = await connected;
        const agent = new AgentClient(sock, this.opts.cancelGraceMs);
        this.agent = agent;
        agent.onDead = () => {
          // A dead connection means an unusable VM: do not leave it running.
          if (this.qemu && !hasExited(this.qemu)) this.qemu.kill('SIGKILL');
        };
        // A restored agent said READY to the qemu that saved it: it is waiting for a request.
        if (restoreFrom) agent.assumeReady();
        else await agent.waitReady();
        return 'ready' as const;
      })();
      const r = await Promise.race([
        ready.catch(() => 'failed' as const),
        exited.then(() => 'exited' as const),
        spawnError.then((e) => e),
        timeout,
      ]);
      if (r instanceof Error) {
        if ((r as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new GuestkitError('ECHILD_PROC', `${qemuBin} not found: install the Debian package qemu-system-x86`, { cause: r });
        }
        throw new GuestkitError('ECHILD_PROC', `${qemuBin}: cannot start: ${r.message}`, { cause: r });
      }
      if (r === 'timeout') throw await this.bootError(`the appliance did not start within ${timeoutMs / 1000} s`);
      if (r !== 'ready') {
        await waitExit(qemu, 500);
        this.qemuDiedEarly = r === 'exited' || hasExited(qemu);
        throw await this.bootError(`the appliance did not start: ${this.goneReason('the agent connection failed')}`);
      }
    } finally {
      clearTimeout(timer);
    }
    const now = Date.now();
    this.timings = { bootMs: now - tq, launchMs: now - t0, kvm, restored: !!restoreFrom };
    if (!restoreFrom) log?.(`appliance: ready in ${this.timings.bootMs} ms (${kvm ? 'KVM' : 'TCG'}; launch ${this.timings.launchMs} ms)`);
  }

  /**
   * Serves every drive to qemu (local files through drive-servers.ts, NBD URIs
   * as they are); returns qemu's -drive/-device arguments, drive i as /dev/vd(a+i).
   */
  private async serveDrives(drives: DriveConfig[], dir: string): Promise<string[]> {
    for (const d of drives) {
      if (isNbdUri(d.file) && d.format && validateFormat(d.format) !== 'raw') {
        throw new GuestkitError('EFORMAT', `${d.file}: format ${d.format} over NBD is not supported: the server must export raw data`, { disk: d.file });
      }
    }
    // Started together (a qemu-nbd takes a few tens of ms to listen); every one that started is kept for teardown.
    const started = await Promise.allSettled(drives.map((d, i) => (isNbdUri(d.file) ? null : serveDrive(d, path.join(dir, `nbd${i}.sock`), { dir, qemuNbd: this.opts.qemuNbd }))));
    const servers = started.map((r) => (r.status === 'fulfilled' ? r.value : null));
    for (const srv of servers) {
      if (!srv) continue;
      this.nbd.push(srv);
      srv.watch((why, connectedAt) => void this.driveLost(srv, why, connectedAt));
    }
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return drives.flatMap((d, i) => {
      const srv = servers[i];
      const target: NbdTarget = srv ? { kind: 'unix', socket: srv.socket, exportName: '' } : parseNbdUri(d.file);
      return ['-drive', driveSpec(i, target, d.readonly), '-device', `virtio-blk-device,drive=d${i}`];
    });
  }

  /**
   * A drive whose server stops serving mid-session makes the VM's view of it
   * unreliable (reads fail, writes are lost): stop the VM, so that the call in
   * progress and every later one fail at once, naming the drive. guestkit's
   * own server also sees qemu's connection end when qemu itself dies: that is
   * not a lost drive, so the loss counts only if qemu outlives it (and the
   * connection was this qemu's, not one a failed restore left behind).
   */
  private async driveLost(srv: DriveServer, why: string, connectedAt?: number): Promise<void> {
    const qemu = this.qemu;
    if (this.closing || !qemu || hasExited(qemu)) return;
    if (connectedAt !== undefined && connectedAt < this.qemuSpawnedAt) return;
    if (srv.via === 'guestkit' && (await waitExit(qemu, 250))) return;
    if (this.closing || qemu !== this.qemu) return;
    this.lostDrive ??= why;
    qemu.kill('SIGKILL');
  }

  /** Why the VM is gone: a lost drive, a kernel panic, or how qemu ended. */
  private goneReason(fallback: string): string {
    if (this.lostDrive) return this.lostDrive;
    const panic = this.kernelPanic();
    if (panic) return panic;
    const q = this.qemu;
    if (q && hasExited(q)) return q.signalCode ? `qemu was killed by ${q.signalCode}` : `qemu exited with status ${q.exitCode}`;
    return fallback;
  }

  /** "the guest kernel panicked: REASON" when the console shows a panic. */
  private kernelPanic(): string | null {
    try {
      const m = /Kernel panic - not syncing: ([^\r\n]*)/.exec(fs.readFileSync(this.consoleLog!, 'utf8'));
      if (m) return `the guest kernel panicked: ${m[1]!.trim()}`;
    } catch {
      // no console log
    }
    return null;
  }

  /** A one-line boot error with the last lines of the console and qemu's stderr. */
  private async bootError(msg: string): Promise<GuestkitError> {
    return new GuestkitError('ECHILD_PROC', `${msg}${this.diagnostics()}`);
  }

  private diagnostics(): string {
    const parts: string[] = [];
    const q = this.qemuStderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-2)
      .map((l) => l.replace(/^qemu-system-x86_64:\s*/, ''));
    if (q.length) parts.push(`qemu: ${q.join(' | ')}`);
    try {
      const con = fs
        .readFileSync(this.consoleLog!, 'utf8')
        .split('\n')
        .map((l) => l.replace(/\r/g, '').trim())
        .filter(Boolean)
        .slice(-3);
      if (con.length) parts.push(`console: ${con.join(' | ')}`);
    } catch {
      // no console log
    }
    return parts.length ? ` (${parts.join('; ')})` : '';
  }

  // ------------------------------------------------------------ calls

  private live(): AgentClient {
    if (!this.agent || this.closing) throw new GuestkitError('ESTATE', 'the appliance is not running');
    const dead = this.agent.dead;
    if (dead) {
      const why = dead instanceof GuestkitError && dead.code === 'ETIMEDOUT' ? dead.message : this.goneReason(dead.message);
      throw new GuestkitError('EIO', `the appliance is gone: ${why}${this.diagnostics()}`, { cause: dead });
    }
    return this.agent;
  }

  /**
   * The output of read-only steps (agent-batch.ts) since the last request that
   * may have changed the guest: script → stdout. Any request not marked
   * read-only empties it.
   */
  readonly readReplies = new Map<string, Buffer>();

  /** Runs a script in the agent; returns its exit status and output. */
  async raw(type: RequestType, script: string, opts: { stdin?: Uint8Array; timeoutMs?: number; sink?: Writable; readOnly?: boolean } = {}): Promise<AgentReply> {
    if (!opts.readOnly) this.readReplies.clear();
    const agent = this.live();
    const t0 = timingEnabled() ? performance.now() : 0;
    try {
      const r = await agent.request(type, script, {
        ...opts, timeoutMs: opts.timeoutMs ?? this.opts.callTimeoutMs ?? defaultCallTimeoutMs(), signal: callSignal.getStore(),
      });
      if (timingEnabled()) timingMark(`agent ${type} ${(performance.now() - t0).toFixed(0)} ms: ${script.trim().split('\n')[0]!.slice(0, 90)}`);
      return r;
    } catch (e) {
      // a timed-out or aborted call was cancelled in the guest: the session goes on
      if (e instanceof GuestkitError && (e.code === 'ETIMEDOUT' || e.code === 'ECANCELED') && !agent.dead) throw e;
      // a guest that did not give up a cancelled call: the session was ended for that, not by qemu dying
      const dead = agent.dead;
      if (dead instanceof GuestkitError && dead.code === 'ETIMEDOUT') {
        throw new GuestkitError('EIO', `the appliance is gone: ${dead.message}${this.diagnostics()}`, { cause: e });
      }
      // The VM died under us: say so, with what the console shows.
      if (this.qemu) await waitExit(this.qemu, 300);
      throw new GuestkitError('EIO', `the appliance is gone: ${this.goneReason((e as Error).message)}${this.diagnostics()}`, { cause: e });
    }
  }

  /** Runs a script; returns stdout, or throws the error it reported (errno name + message). */
  async sh(script: string, opts: { stdin?: Uint8Array; timeoutMs?: number; readOnly?: boolean } = {}): Promise<Buffer> {
    const r = await this.raw('sh', script, opts);
    if (r.rc !== 0) throw replyError(r);
    return r.stdout;
  }

  /** Runs a script and returns stdout as text. */
  async shText(script: string, opts: { stdin?: Uint8Array; timeoutMs?: number; readOnly?: boolean } = {}): Promise<string> {
    return (await this.sh(script, opts)).toString('utf8');
  }

  /**
   * Streams the file a script names (it prints one appliance path) into `sink`,
   * or collects it when no sink is given.
   */
  async get(script: string, sink?: Writable, timeoutMs?: number): Promise<Buffer> {
    const r = await this.raw('get', script, { sink, timeoutMs });
    if (r.rc !== 0) throw replyError(r);
    return r.stdout;
  }

  /**
   * Transactional drives are served as qcow2 overlays over the images (which qemu
   * opens read-only); commit() folds the overlays into the images.
   */
  private async overlayTransactional(drives: DriveConfig[]): Promise<DriveConfig[]> {
    const served: DriveConfig[] = [];
    for (const d of drives) {
      if (!d.transactional || d.readonly) {
        served.push(d);
        continue;
      }
      const ov = await Qcow2Overlay.create(d.file, d.format, d.locking);
      this.overlays.push(ov);
      served.push({ file: ov.path, format: 'qcow2', readonly: false });
    }
    return served;
  }

  // ------------------------------------------------------------ shutdown

  async shutdown(): Promise<void> {
    this.closing ??= this.teardown(true);
    try {
      await this.closing;
    } finally {
      this.disposeOverlays();
    }
  }

  /**
   * Shuts the appliance down (it syncs and unmounts; closing the drives writes
   * the overlays back), then writes each transactional drive's overlay into its image.
   * Ends the session.
   */
  async commit(): Promise<void> {
    this.closing ??= this.teardown(true);
    try {
      // An overlay that could not be written back whole is not committed.
      await this.closing;
      for (const ov of this.overlays) await ov.commit();
    } finally {
      this.disposeOverlays();
    }
  }

  private disposeOverlays(): void {
    for (const ov of this.overlays) ov.dispose();
    this.overlays = [];
  }

  private async teardown(clean: boolean): Promise<void> {
    const qemu = this.qemu;
    // With every drive read-only the guest's writes go to qemu's throw-away overlays: there is
    // nothing to sync or unmount, so qemu is stopped at once (the guest's own shutdown costs ~0.5 s under TCG).
    const readOnly = this.configs.length > 0 && this.configs.every((d) => d.readonly);
    if (clean && !readOnly && this.agent && !this.agent.dead && this.agent.isReady() && qemu && !hasExited(qemu)) {
      try {
        await this.agent.request('quit', '', { timeoutMs: 10_000 });
      } catch {
        // fall through to killing it
      }
    }
    if (qemu) await stopChild(qemu, clean && !readOnly ? 5000 : 0);
    this.agent?.fail(new GuestkitError('ESTATE', 'the appliance was shut down'));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    // The servers run until qemu is gone (qemu-nbd runs --persistent); closing one writes its image back.
    const servers = this.nbd;
    this.nbd = [];
    const closed = await Promise.allSettled(servers.map((s) => s.close()));
    if (this.dir) await removeDir(this.dir);
    const failed = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (clean && failed) throw failed.reason;
  }
}

/**
 * The CPU model under TCG: every feature TCG emulates except ERMS/FSRM. With
 * them the kernel copies memory with `rep movsb`, which TCG runs a byte per
 * iteration; without them it uses 8-byte moves. Measured here: unpacking the
 * initramfs and moving data through pipes ~1.5-2x faster.
 */
export const TCG_CPU = 'max,-erms,-fsrm';

/**
 * Kernel work the appliance does not need, skipped to boot sooner under TCG
 * (each measured with initcall_debug): the KDF self-test that runs even with
 * cryptomgr.notests, kprobe trace events, and write-protecting kernel data
 * (rodata=off also skips the W+X page-table walk that follows it).
 */
export const FAST_BOOT_ARGS = ['initcall_blacklist=crypto_kdf108_init,init_kprobe_trace', 'rodata=off'];

/**
 * init_on_free=1: freed pages are zeroed, so the initramfs image the kernel
 * frees after unpacking it (tens of MiB) is left as zeros, which a saved VM
 * state stores in a few bytes per page (measured: 191 → 134 MiB).
 */
export const VM_STATE_ARGS = ['init_on_free=1'];

/** $GUESTKIT_CALL_TIMEOUT (seconds), else 600 s. */
function defaultCallTimeoutMs(): number {
  const s = Number(process.env.GUESTKIT_CALL_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 600_000;
}

function driveSpec(i: number, t: NbdTarget, readOnly: boolean): string {
  const esc = (s: string) => s.replace(/,/g, ',,');
  const parts = [`if=none`, `id=d${i}`, `format=raw`, `file.driver=nbd`];
  if (t.kind === 'unix') parts.push('file.server.type=unix', `file.server.path=${esc(t.socket)}`);
  else parts.push('file.server.type=inet', `file.server.host=${esc(t.host)}`, `file.server.port=${t.port}`);
  if (t.exportName) parts.push(`file.export=${esc(t.exportName)}`);
  // Read-only: a throw-away qcow2 overlay in qemu; the export itself is read-only too.
  parts.push(readOnly ? 'snapshot=on' : 'snapshot=off', 'cache=unsafe');
  return parts.join(',');
}

export function qemuArgs(o: {
  kernel: string;
  initrd: string;
  memoryMiB: number;
  smp?: number;
  kvm: boolean;
  consoleLog: string;
  agentSock: string;
  driveArgs: string[];
  verbose: boolean;
  append: string[];
  tcgCpu: string;
  /** The appliance's tools image (see tools-image.ts), attached after every other device. */
  tools?: string;
}): string[] {
  const cmdline = ['console=ttyS0', o.verbose ? 'guestkit_debug=1' : 'quiet', 'reboot=t', 'panic=-1', 'cryptomgr.notests', 'mitigations=off', ...FAST_BOOT_ARGS, ...VM_STATE_ARGS];
  if (!o.kvm) {
    // TCG: timer calibration hangs under host load without these.
    const khz = hostCpuKhz();
    if (khz) cmdline.push(`tsc_early_khz=${khz}`, `lpj=${khz * 4}`);
    cmdline.push('tsc=reliable', 'no_timer_check');
  }
  cmdline.push(...o.append);
  const esc = (s: string) => s.replace(/,/g, ',,');
  return [
    '-M', 'microvm,acpi=on,x-option-roms=off',
    ...(o.kvm ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', o.tcgCpu]),
    '-m', String(o.memoryMiB), '-smp', String(o.smp ?? 1),
    '-nodefaults', '-no-user-config', '-nographic', '-no-reboot',
    '-kernel', o.kernel, '-initrd', o.initrd,
    '-chardev', `file,id=con,path=${esc(o.consoleLog)}`, '-serial', 'chardev:con',
    ...o.driveArgs,
    '-device', 'virtio-serial-device',
    '-chardev', `socket,id=agent,path=${esc(o.agentSock)}`,
    '-device', `virtserialport,chardev=agent,name=${AGENT_PORT_NAME}`,
    ...(o.tools ? toolsDriveArgs(o.tools) : []),
    '-append', cmdline.join(' '),
  ];
}

/** The error a failed script reported (see guest-errors.ts), its guest paths and device names made the user's. */
export function replyError(r: AgentReply): GuestkitError {
  const text = r.stderr.toString('utf8').replace(/\/sysroot(\/|(?=['\s:]|$))/g, '/').replace(/\/dev\/vd(?=[a-z])/g, '/dev/sd')
    .replace(/\/agent\.sh: /g, '')
    .replace(/\/tmp\/\.req: line \d+: /g, '')
    .trim();
  return guestRequestError(r.rc, text.split('\n').filter(Boolean));
}
