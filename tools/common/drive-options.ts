/**
 * The options every virt-style tool shares: -a (repeatable; --format applies to
 * the -a options after it, as in the virt tools), -m dev[:mountpoint[:options[:fstype]]],
 * --ro/--rw, -i, -v, -x, --backend. Commander calls option parsers in command-line
 * order, which keeps --format and -a in their order.
 */
import { Command, Option } from 'commander';
import type { DriveConfig } from '../../src/backend/backend.js';
import type { BackendNeeds } from '../../src/core/backend-choice.js';
import type { GuestfsOptions } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { isBareValue } from './attached-values.js';

export interface MountSpec {
  device: string;
  mountpoint: string;
  options?: string;
  fstype?: string;
}

export interface DriveOptions {
  drives: DriveConfig[];
  /** The second guest's disks (-A, for tools that compare two guests). */
  drives2: DriveConfig[];
  mounts: MountSpec[];
  inspect: boolean;
  verbose: boolean;
  trace: boolean;
  backend?: string;
}

export function parseMountSpec(spec: string): MountSpec {
  const [device, mountpoint, options, fstype] = spec.split(':');
  return { device: device!, mountpoint: mountpoint || '/', options: options || undefined, fstype: fstype || undefined };
}

/** Adds the shared options to a command; returns a getter for their parsed values. */
/** A tool's own option that adds a drive in command-line order with -a (fish's -N). */
export interface ExtraDriveOption {
  option: Option;
  /** The drive the option's value stands for, or undefined when it adds none. */
  toDrive(value: string, readonly: boolean): DriveConfig | undefined;
}

export function addDriveOptions(cmd: Command, opts: { readOnlyDefault: boolean; mounts?: boolean; secondGuest?: boolean; blocksize?: boolean; extraDrive?: ExtraDriveOption }): () => DriveOptions {
  const state: DriveOptions = { drives: [], drives2: [], mounts: [], inspect: false, verbose: false, trace: false };
  let format: string | undefined;
  let formatPending = false;
  let blocksizePending = false;
  let blocksizeError: GuestkitError | undefined;
  let readonly = opts.readOnlyDefault;
  let noLock = false;
  cmd.addOption(new Option('-a, --add <image>', 'add a disk image, NBD URI or VMware .vmx (repeatable)').argParser((file: string) => {
    state.drives.push({ file, format, readonly });
    formatPending = false;
    blocksizePending = false;
    return file;
  }));
  if (opts.extraDrive) {
    const extra = opts.extraDrive;
    cmd.addOption(extra.option.argParser((value: string) => {
      const drive = extra.toDrive(value, readonly);
      if (drive) state.drives.push(drive);
      return value;
    }));
  }
  if (opts.blocksize) {
    // guestkit presents 512-byte sectors only: 512 is what every drive gets; 4096 cannot be honoured.
    cmd.addOption(new Option('--blocksize [512|4096]', 'sector size of the disks of the following -a options (only 512 is supported)').argParser((v: string) => {
      const size = isBareValue(v) ? 512 : Number(v);
      if (size !== 512 && size !== 4096) blocksizeError ??= new GuestkitError('EINVAL', 'blocksize parameter is invalid');
      else if (size !== 512) blocksizeError ??= new GuestkitError('ENOTSUP', `--blocksize=${v}: disks with ${size}-byte sectors are not supported: guestkit presents 512-byte sectors`);
      blocksizePending = true;
      return v;
    }));
  }
  if (opts.secondGuest) {
    cmd.addOption(new Option('-A, --add-second <image>', "add a disk image or NBD URI of the second guest (repeatable)").argParser((file: string) => {
      state.drives2.push({ file, format, readonly });
      formatPending = false;
      return file;
    }));
  }
  cmd.addOption(new Option('--format <format>', 'format of the following -a (and -A) images: raw, qcow2, vmdk, vhdx, vdi, vpc (default: probe)').argParser((f: string) => {
    format = f === 'auto' ? undefined : f;
    formatPending = true;
    return f;
  }));
  if (opts.mounts !== false) {
    cmd.addOption(new Option('-m, --mount <dev[:mnt[:opts[:fstype]]]>', 'mount the device at the mountpoint (repeatable)').argParser((m: string) => {
      state.mounts.push(parseMountSpec(m));
      return m;
    }));
    cmd.addOption(new Option('-i, --inspector', 'inspect the disks and mount the guest as it mounts itself').argParser(() => { state.inspect = true; return true; }));
  }
  cmd.addOption(new Option('-v, --verbose', 'verbose messages').argParser(() => { state.verbose = true; return true; }));
  cmd.addOption(new Option('-x', 'trace each command').argParser(() => { state.trace = true; return true; }));
  if (!opts.readOnlyDefault) {
    cmd.addOption(new Option('--no-lock', "take no qemu image locks, and write even when another process's locks say it uses the image").argParser(() => {
      noLock = true;
      return true;
    }));
  }
  cmd.addOption(new Option('--backend <name>', 'auto, wasm or appliance (default: $GUESTKIT_BACKEND or auto)').argParser((b: string) => {
    state.backend = b;
    return b;
  }));
  if (!opts.readOnlyDefault) {
    cmd.addOption(new Option('-r, --ro', 'open the images read-only').argParser(() => {
      readonly = true;
      for (const d of state.drives) d.readonly = true;
      return true;
    }));
    cmd.addOption(new Option('-w, --rw', 'open the images read-write (the default)').argParser(() => { readonly = false; return true; }));
  }
  return () => {
    // As in the virt tools: a --format that no -a follows is a mistake, not a no-op.
    if (formatPending && format !== undefined) {
      throw new GuestkitError('EINVAL', '--format parameter must appear before -a parameter');
    }
    if (blocksizeError) throw blocksizeError;
    if (blocksizePending) throw new GuestkitError('EINVAL', '--blocksize parameter must appear before -a parameter');
    if (noLock) for (const d of [...state.drives, ...state.drives2]) d.locking = false;
    return state;
  };
}

/**
 * The handle options these flags ask for: the backend (--backend, else
 * $GUESTKIT_BACKEND, else auto), what the tool will use (so that auto can
 * choose), and -v messages on stderr.
 */
export function guestfsOptions(o: DriveOptions, needs: BackendNeeds): GuestfsOptions {
  return {
    backend: o.backend as GuestfsOptions['backend'],
    needs,
    log: o.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  };
}
