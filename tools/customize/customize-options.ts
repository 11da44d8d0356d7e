/**
 * guestkit customize's command line: virt-customize's options, the operations
 * recorded in command-line order (Commander calls each option's parser in
 * order), every operation checked as it is read. The first malformed option is
 * kept and reported before any image is opened.
 */
import { Command, Option } from 'commander';
import { addDriveOptions, type DriveOptions } from '../common/drive-options.js';
import { applyOption, emptyParsedOps, OP_SPECS, UNSUPPORTED_OPS, type ParsedOps } from '../../src/customize/ops.js';

export interface CustomizeOptions {
  drive: DriveOptions;
  parsed: ParsedOps;
  dryRun: boolean;
  quiet: boolean;
  network: boolean;
  /** The first malformed option's error, thrown before anything is opened. */
  error?: unknown;
}

export const CUSTOMIZE_DESCRIPTION = `customize a virtual machine (virt-customize)

Changes are atomic: every operation is applied to a copy-on-write overlay and
the image is written only when all of them succeeded (then fsync'd). If an
operation fails, or the run is interrupted (Ctrl-C, SIGTERM), the image is left
byte-for-byte as it was. A signal during the final commit is held until the
commit is complete.`;

/** Runs option handlers until one throws; that first error is kept in state.error (reported before anything is opened). */
export function firstErrorRecorder(state: { error?: unknown }): (fn: () => void) => void {
  return (fn) => {
    if (state.error) return;
    try {
      fn();
    } catch (e) {
      state.error = e;
    }
  };
}

/**
 * Every customize operation as an option of `cmd` (guestkit sysprep takes them
 * too), recorded into `parsed` in command-line order through `record`.
 */
export function addOperationOptions(cmd: Command, parsed: ParsedOps, record: (fn: () => void) => void): void {
  for (const spec of OP_SPECS) {
    const flags = spec.arg === undefined ? `--${spec.name}` : `--${spec.name} <${spec.arg.replace(/[<>]/g, '')}>`;
    cmd.addOption(new Option(flags, spec.help).argParser((value: string | undefined) => {
      record(() => applyOption(parsed, spec.name, spec.arg === undefined ? undefined : value));
      return value ?? true;
    }));
  }
  for (const u of UNSUPPORTED_OPS) {
    const flags = u.arg === undefined ? `--${u.name}` : `--${u.name} <${u.arg}>`;
    cmd.addOption(new Option(flags).hideHelp().argParser((value: string | undefined) => {
      record(() => applyOption(parsed, u.name, value));
      return value ?? true;
    }));
  }
}

export function buildCustomizeCommand(): { cmd: Command; options: () => CustomizeOptions } {
  const cmd = new Command('customize')
    .description(CUSTOMIZE_DESCRIPTION)
    .usage('[--options] -a disk.img [-a disk.img ...]');
  const drive = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false });
  const state: Omit<CustomizeOptions, 'drive'> = { parsed: emptyParsedOps(), dryRun: false, quiet: false, network: true };
  const record = firstErrorRecorder(state);
  cmd.addOption(new Option('-n, --dry-run', 'perform a dry run: check and apply everything to a throw-away overlay, change nothing').argParser(() => { state.dryRun = true; return true; }));
  cmd.addOption(new Option('--dryrun').hideHelp().argParser(() => { state.dryRun = true; return true; }));
  cmd.addOption(new Option('-q, --quiet', 'no progress messages').argParser(() => { state.quiet = true; return true; }));
  cmd.addOption(new Option('--network', 'enable the appliance network (default; the appliance has none)').argParser(() => { state.network = true; return true; }));
  cmd.addOption(new Option('--no-network', 'disable the appliance network').argParser(() => { state.network = false; return false; }));
  addOperationOptions(cmd, state.parsed, record);
  cmd.addHelpText('after', `
Operations run in command-line order; passwords are set after the others.
Examples:
  guestkit customize -a disk.img --hostname web1 --root-password password:s3cret
  guestkit customize -a disk.qcow2 --write /etc/motd:'hello' --edit '/etc/ssh/sshd_config:s/^#?PermitRootLogin.*/PermitRootLogin no/'
  guestkit customize -a disk.img --run-command 'apt-get -y install nginx'   # uses the appliance`);
  return { cmd, options: () => ({ ...state, drive: drive() }) };
}
