/**
 * What `guestkit appliance check` finds, as records (printing is in
 * appliance-tool.ts): the host programs, kernel and modules the appliance is
 * made of, the accelerator, the cache, and a test VM that boots and answers.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplianceBackend, hostCpuKhz, kvmUsable } from '../../src/backend/appliance/appliance-backend.js';
import { findExecutable } from '../../src/backend/appliance/children.js';
import { applianceInputs, buildAppliance, type ApplianceInputs, type Appliance } from '../../src/backend/appliance/build.js';
import { GuestkitError } from '../../src/errors/index.js';

export interface HostProgram {
  name: string;
  path: string | null;
  version: string | null;
  /** The Debian package that provides it (named when it is missing). */
  pkg: string;
}

/** A program found on $PATH, with the first line of `--version`. */
export function hostProgram(name: string, pkg: string): HostProgram {
  const p = findExecutable(name);
  if (!p) return { name, path: null, version: null, pkg };
  const r = spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return { name, path: p, version: (r.stdout ?? '').split('\n')[0]?.trim() || null, pkg };
}

export interface Accelerator {
  kvm: boolean;
  /** Why not KVM, when not. */
  why?: string;
  cpuKhz: number | null;
}

export function accelerator(): Accelerator {
  const kvm = kvmUsable();
  const why = kvm ? undefined : fs.existsSync('/dev/kvm') ? '/dev/kvm is not usable by this user' : 'no /dev/kvm';
  return { kvm, why, cpuKhz: hostCpuKhz() };
}

export interface HostFacts {
  qemu: HostProgram;
  qemuNbd: HostProgram;
  accel: Accelerator;
  inputs: ApplianceInputs;
}

export function hostFacts(cacheDir?: string): HostFacts {
  const qemu = hostProgram('qemu-system-x86_64', 'qemu-system-x86');
  const qemuNbd = hostProgram('qemu-nbd', 'qemu-utils');
  return { qemu, qemuNbd, accel: accelerator(), inputs: applianceInputs({ cacheDir }) };
}

/** The missing program the appliance cannot start without (qemu-nbd serves only some formats), as the error to stop on. */
export function missingProgram(f: HostFacts): GuestkitError | null {
  const p = f.qemu;
  return p.path ? null : new GuestkitError('ENOENT', `${p.name} not found: install the Debian package ${p.pkg}`);
}

export interface TestRun {
  appliance: Appliance;
  initrdBytes: number;
  bootMs: number;
  kvm: boolean;
  /** What the guest answered: its kernel release and the test disk's size. */
  guestKernel: string;
  diskBytes: number;
  expectedDiskBytes: number;
  consoleTail: string[];
}

/** Builds (or finds) the appliance, boots it on a scratch disk and runs a trivial command in it. */
export async function testRun(opts: { cacheDir?: string; verbose?: boolean; log?: (l: string) => void }): Promise<TestRun> {
  const appliance = buildAppliance({ cacheDir: opts.cacheDir, log: opts.log });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-check-'));
  const disk = path.join(tmp, 'test.img');
  const size = 16 << 20;
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, size);
  const b = new ApplianceBackend({ appliance, verbose: opts.verbose, callTimeoutMs: 60_000 });
  try {
    await b.launch([{ file: disk, readonly: true, format: 'raw' }]);
    const out = await b.shText('uname -r; blockdev --getsize64 /dev/vda');
    const [guestKernel = '', bytes = ''] = out.trim().split('\n');
    const consoleLog = b.consoleLog;
    const consoleTail = consoleLog && fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, 'utf8').replace(/\r/g, '').split('\n').filter(Boolean) : [];
    return {
      appliance,
      initrdBytes: fs.statSync(appliance.initrd).size,
      bootMs: b.timings!.bootMs,
      kvm: b.timings!.kvm,
      guestKernel,
      diskBytes: Number(bytes),
      expectedDiskBytes: size,
      consoleTail,
    };
  } finally {
    await b.shutdown();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
