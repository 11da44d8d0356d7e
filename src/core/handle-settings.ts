/**
 * A handle's settings (libguestfs's get-/set- pairs: memsize, smp, append, hv, ...),
 * with guestkit's defaults. The ones the appliance uses are handed to it at launch
 * (applianceOptions); the rest are kept for programs that set and read them back.
 */
import path from 'node:path';
import type { BackendName } from '../backend/backend.js';
import type { ApplianceOptions } from '../backend/appliance/appliance-backend.js';

export type RequestedBackend = BackendName | 'auto';

export class HandleSettings {
  /** The appliance's RAM in MiB (guestkit's appliance needs less than libguestfs's 1280). */
  memsize = 512;
  /** The appliance's virtual CPUs. */
  smp = 1;
  trace = false;
  verbose = false;
  autosync = true;
  /** The program name used in messages (libguestfs: the running program's short name). */
  program = programName();
  direct = false;
  recoveryProc = true;
  selinux = false;
  pgroup = false;
  /** Extra words for the appliance kernel's command line; null when none. */
  append: string | null = null;
  /** The qemu binary the appliance runs under. */
  hv = 'qemu-system-x86_64';
  identifier = '';
  /** Where the appliance is built and kept; null: guestkit's default (see get-cachedir). */
  cachedir: string | null = null;
  tmpdir = process.env.TMPDIR || '/tmp';
  /** "name" or "name=value" words for the backend (libguestfs's backend settings). */
  backendSettings: string[] = [];
  /** Where the appliance's sources are (set-path); null: the package's appliance/ directory. */
  path: string | null = null;
  /** qemu parameters added by `config`, in order. */
  readonly qemuParams: [string, string | null][] = [];
  /** The credential types the program can answer (set-libvirt-supported-credentials). */
  libvirtSupportedCredentials: string[] = [];

  constructor(public backend: RequestedBackend) {}

  /** What the appliance takes from the settings. force_tcg is libguestfs's backend setting for "no KVM". */
  applianceOptions(): Pick<ApplianceOptions, 'memoryMiB' | 'smp' | 'append' | 'qemu' | 'cacheDir' | 'tmpDir' | 'noKvm' | 'sourceDir' | 'qemuParams'> {
    return {
      memoryMiB: this.memsize,
      smp: this.smp,
      append: this.append ? this.append.split(/\s+/).filter(Boolean) : [],
      qemu: this.hv,
      cacheDir: this.cachedir ?? undefined,
      tmpDir: this.tmpdir,
      noKvm: this.backendSettings.includes('force_tcg'),
      sourceDir: this.path ?? undefined,
      qemuParams: this.qemuParams,
    };
  }
}

function programName(): string {
  const script = process.argv[1];
  return script ? path.basename(script).replace(/\.[cm]?js$/, '') : 'node';
}
