/**
 * guestkit sysprep's command line: virt-sysprep's options, plus every customize
 * operation (run by the `customize` operation, in command-line order). The
 * first malformed option is kept and reported before any image is opened.
 */
import { Command, Option } from 'commander';
import { addDriveOptions, type DriveOptions } from '../common/drive-options.js';
import { addOperationOptions, firstErrorRecorder } from '../customize/customize-options.js';
import { emptyParsedOps } from '../../src/customize/ops.js';
import { OperationSelection } from '../../src/sysprep/operation-set.js';
import { addUsers } from '../../src/sysprep/user-account.js';
import type { SysprepSettings } from '../../src/sysprep/operation.js';
import { OPERATIONS } from '../../src/sysprep/operations.js';
import { operationsList } from './sysprep-output.js';

export interface SysprepOptions {
  drive: DriveOptions;
  selection: OperationSelection;
  settings: SysprepSettings;
  dryRun: boolean;
  quiet: boolean;
  network: boolean;
  listOperations: boolean;
  /** -d: a libvirt domain, which guestkit cannot open. */
  domain?: string;
  /** --mount-options "/:noatime;/var:rw,noatime" */
  mountOptions: string;
  scriptdir?: string;
  /** The first malformed option's error, thrown before anything is opened. */
  error?: unknown;
}

export const SYSPREP_DESCRIPTION = `reset or unconfigure a virtual machine so clones can be made (virt-sysprep)

Removes what makes a guest unique (SSH host keys, machine ID, logs, DHCP
leases, user histories, ...) and can customize it with every guestkit
customize option (the "customize" operation, run after the others). Use
--list-operations to see the operations; a * marks those run by default.

Changes are atomic: everything is applied to a copy-on-write overlay and the
image is written only when every operation succeeded. With --dry-run nothing
is written. Guests on ext2/3/4, NTFS and FAT run in process; xfs and btrfs
guests, LVM UUID changes (lvm-uuids, on guests with LVM), fs-uuids and
--run/--run-command use the appliance.`;

export function buildSysprepCommand(): { cmd: Command; options: () => SysprepOptions } {
  const cmd = new Command('sysprep')
    .description(SYSPREP_DESCRIPTION)
    .usage('[--options] -a disk.img [-a disk.img ...]');
  const drive = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false });
  const settings: SysprepSettings = { customize: emptyParsedOps(), users: { remove: new Set(), keep: new Set() }, scripts: [] };
  const state: Omit<SysprepOptions, 'drive'> = {
    selection: new OperationSelection(), settings, dryRun: false, quiet: false, network: false, listOperations: false, mountOptions: '',
  };
  const record = firstErrorRecorder(state);
  const flag = (flags: string, help: string, set: () => void, hidden = false) => {
    const o = new Option(flags, help).argParser(() => { set(); return true; });
    cmd.addOption(hidden ? o.hideHelp() : o);
  };
  const valued = (flags: string, help: string, set: (v: string) => void, hidden = false) => {
    const o = new Option(flags, help).argParser((v: string) => { record(() => set(v)); return v; });
    cmd.addOption(hidden ? o.hideHelp() : o);
  };
  valued('-c, --connect <uri>', 'libvirt URI (only used with -d, which guestkit does not support)', () => undefined);
  valued('-d, --domain <domain>', 'libvirt guest name (not supported: use -a with its disk images)', (v) => { state.domain = v; });
  flag('-n, --dry-run', 'perform a dry run: apply everything to a throw-away overlay, change nothing', () => { state.dryRun = true; });
  flag('--dryrun', '', () => { state.dryRun = true; }, true);
  valued('--enable <operations>', 'enable only these operations (comma list)', (v) => state.selection.enable(v));
  flag('--list-operations', 'list the operations (name, * when run by default, description)', () => { state.listOperations = true; });
  valued('--mount-options <opts>', 'mount options per mountpoint (e.g. "/:noatime;/var:rw,noatime")', (v) => { state.mountOptions = v; });
  flag('--network', 'enable the appliance network (the appliance has none)', () => { state.network = true; });
  flag('--no-network', 'disable the appliance network (default)', () => { state.network = false; });
  valued('--operations <operations>', 'enable/disable operations: NAME, -NAME, defaults, all (comma list, repeatable)', (v) => state.selection.operations(v));
  valued('--operation <operations>', '', (v) => state.selection.operations(v), true);
  flag('-q, --quiet', 'no progress messages', () => { state.quiet = true; });
  valued('--remove-user-accounts <users>', 'user-account: remove only these users (comma list, repeatable)', (v) => addUsers(settings.users.remove, v));
  valued('--keep-user-accounts <users>', 'user-account: keep these users (comma list, repeatable)', (v) => addUsers(settings.users.keep, v));
  valued('--script <script>', "script: run a program against the guest, in the appliance, its current directory the guest's root", (v) => { settings.scripts.push(v); });
  valued('--scriptdir <dir>', 'script: host mount point in virt-sysprep (accepted, unused: nothing is mounted on the host)', (v) => { state.scriptdir = v; });
  addOperationOptions(cmd, settings.customize, record);
  cmd.addHelpText('after', `
Operations (* = run by default; --list-operations prints this list):
${operationsList(OPERATIONS).replace(/^/gm, '  ')}
They run in name order (customize last), then the block device ones
(lvm-uuids, fs-uuids) after the filesystems are unmounted.
Examples:
  guestkit sysprep -a disk.img
  guestkit sysprep -a disk.qcow2 --operations defaults,-ssh-userdir --hostname web2
  guestkit sysprep -a disk.img --enable user-account --keep-user-accounts admin
  guestkit sysprep --list-operations`);
  return { cmd, options: () => ({ ...state, drive: drive() }) };
}
