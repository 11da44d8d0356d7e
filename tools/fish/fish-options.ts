/**
 * guestfish's own command-line flags (beside the drive options every tool
 * shares): remote control, prepared disks, LUKS keys, and the switches that
 * change how the shell runs. Parsed here, acted on by fish-tool.ts.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import type { ExtraDriveOption } from '../common/drive-options.js';
import { isBareValue } from '../common/attached-values.js';
import { GuestkitError } from '../../src/errors/index.js';
import { isPreparedHelp, parsePreparedSpec, type PreparedDisk } from '../../src/shell/prepared-disks.js';
import { parseKeySelector, type KeySelector } from '../../src/shell/key-selectors.js';
import { remotePid } from './remote-pid.js';

export interface FishFlags {
  listen: boolean;
  csh: boolean;
  /** --remote: the server's PID (from --remote=PID or $GUESTFISH_PID). */
  remote?: number;
  /** -h / --cmd-help: true to list the commands, or the command to describe. */
  cmdHelp?: true | string;
  version: boolean;
  /** -N help: list the prepared disk types. */
  preparedHelp: boolean;
  /** Each -N, with the path of the drive it added (same object as in the drive list). */
  prepared: Array<PreparedDisk & { path: string }>;
  sync: boolean;
  pipeError: boolean;
  network: boolean;
  progressBars?: boolean;
  keys: KeySelector[];
  keysFromStdin: boolean;
  echoKeys: boolean;
  file?: string;
  /** The first error a flag's value made, raised when the flags are read (not from inside the parser). */
  error?: GuestkitError;
}

/** -N: a prepared disk is a drive like -a's, in the same order (its device name depends on it). */
export function preparedDriveOption(flags: FishFlags): ExtraDriveOption {
  return {
    option: new Option('-N, --new <[filename=]type>', 'create a prepared disk (test1.img, test2.img... or filename) and add it; -N help lists the types'),
    toDrive: (value, readonly) => {
      if (isPreparedHelp(value)) {
        flags.preparedHelp = true;
        return undefined;
      }
      try {
        const disk = parsePreparedSpec(value, flags.prepared.length + 1);
        const path = resolve(disk.file);
        flags.prepared.push({ ...disk, path });
        return { file: path, format: 'raw', readonly };
      } catch (e) {
        flags.error ??= e as GuestkitError;
        return undefined;
      }
    },
  };
}

export function newFishFlags(): FishFlags {
  return { listen: false, csh: false, version: false, preparedHelp: false, prepared: [], sync: true, pipeError: false, network: false, keys: [], keysFromStdin: false, echoKeys: false };
}

/** -d and an old-style `-i guest`: guestkit has no libvirt connection to look a guest up with. */
export const libvirtError = (what: string) =>
  new GuestkitError('ENOTSUP', `${what}: libvirt guests are not supported: guestkit does not use libvirt; add the guest's disk images with -a`);

/** Adds guestfish's own flags to the command; they fill in FLAGS as Commander parses. */
export function addFishOptions(cmd: Command, flags: FishFlags): void {
  const set = <T>(apply: (v: T) => void) => (v: T) => { apply(v); return v; };
  const fail = (e: GuestkitError) => { flags.error ??= e; };
  cmd.helpOption('--help', 'display brief help');
  cmd.addOption(new Option('-h, --cmd-help [cmd]', 'list the commands, or show the help of one').argParser(set((v: string) => { flags.cmdHelp = isBareValue(v) ? true : v; })));
  cmd.addOption(new Option('-V, --version', 'display the version and exit').argParser(set(() => { flags.version = true; })));
  cmd.addOption(new Option('-f, --file <script>', 'read commands from the file').argParser(set((f: string) => {
    if (flags.file !== undefined) fail(new GuestkitError('EINVAL', 'only one -f parameter can be given'));
    flags.file = f;
  })));
  cmd.addOption(new Option('--listen', 'fork into the background and take commands from --remote').argParser(set(() => { flags.listen = true; })));
  cmd.addOption(new Option('--csh', 'make --listen print a csh command').argParser(set(() => { flags.csh = true; })));
  cmd.addOption(new Option('--remote [pid]', 'send the commands to the listening fish (PID, else $GUESTFISH_PID)').argParser(set((v: string) => {
    try {
      flags.remote = remotePid(isBareValue(v) ? undefined : v);
    } catch (e) {
      fail(e as GuestkitError);
    }
  })));
  cmd.addOption(new Option('-n, --no-sync', "don't autosync (sync the disks when the handle closes)").argParser(set(() => { flags.sync = false; })));
  cmd.addOption(new Option('-D', 'same as --no-dest-paths (deprecated)').argParser(set(() => {
    process.stderr.write('guestkit fish: warning: -D option is deprecated, use --no-dest-paths instead\n');
  })));
  // No tab completion of guest paths exists to switch off: accepted for guestfish scripts.
  cmd.addOption(new Option('--no-dest-paths', "don't tab-complete paths from the guest filesystem"));
  cmd.addOption(new Option('--pipe-error', 'a failed write to a | pipe command fails the command').argParser(set(() => { flags.pipeError = true; })));
  cmd.addOption(new Option('--network', 'enable the network in the appliance (refused: it has no network device)').argParser(set(() => { flags.network = true; })));
  cmd.addOption(new Option('--selinux', 'for backwards compatibility only, does nothing'));
  cmd.addOption(new Option('--progress-bars', 'enable progress bars even when not interactive').argParser(set(() => { flags.progressBars = true; })));
  cmd.addOption(new Option('--no-progress-bars', 'disable progress bars').argParser(set(() => { flags.progressBars = false; })));
  cmd.addOption(new Option('--key <selector>', 'a LUKS key: ID:key:KEY_STRING, ID:file:FILENAME or ID:clevis (repeatable)').argParser(set((v: string) => {
    try {
      flags.keys.push(parseKeySelector(v));
    } catch (e) {
      fail(e as GuestkitError);
    }
  })));
  cmd.addOption(new Option('--keys-from-stdin', 'read passphrases from stdin').argParser(set(() => { flags.keysFromStdin = true; })));
  cmd.addOption(new Option('--echo-keys', "don't turn off echo for passphrases").argParser(set(() => { flags.echoKeys = true; })));
  cmd.addOption(new Option('-d, --domain <guest>', 'add the disks of a libvirt guest (not supported: use -a)').argParser(set((g: string) => fail(libvirtError(`-d ${g}`)))));
  cmd.addOption(new Option('-c, --connect <uri>', 'libvirt URI for -d (not supported)'));
  cmd.addOption(new Option('--live', 'connect to a live guest (removed in libguestfs 1.48)').argParser(set(() => {
    fail(new GuestkitError('ENOTSUP', 'libguestfs live support was removed in libguestfs 1.48'));
  })));
}
