/**
 * The tools that libguestfs ships as guestfish wrappers (virt-copy-in,
 * virt-copy-out, virt-tar-in, virt-tar-out run `guestfish --rw|--ro -i CMD "$@"`):
 * guestfish's disk options, the guest mounted by inspection (or -m), and one
 * fish command run on the remaining words by the fish shell's own dispatcher
 * (the same argument checks and optional key:value arguments as guestfish),
 * its error as one line. Tools that write
 * open the disks transactionally and commit only when the command succeeded,
 * so a failure leaves the image as it was; read-only tools open them read-only.
 * The command's progress (tar-in, tar-out) is drawn as a bar on a terminal.
 */
import { Command, Option } from 'commander';
import { addDriveOptions } from './drive-options.js';
import { openGuest } from './open-guest.js';
import { progressBar } from './progress-bar.js';
import { runTool } from './run-tool.js';
import { SignalGuard } from './signal-guard.js';
import { examplesHelp } from './tool-examples.js';
import { GuestkitError } from '../../src/errors/index.js';
import { FishShell } from '../../src/shell/fish.js';
import { UsageError } from '../../src/shell/usage-error.js';

export interface GuestCommandSpec {
  /** guestkit's name for the tool, which is also the fish command it runs: 'copy-in'. */
  name: string;
  description: string;
  /** The words after the options, for --help: 'file|dir [file|dir ...] /destination'. */
  usage: string;
  writes: boolean;
  /** Commands it calls, for --backend=auto's choice. */
  commands: readonly string[];
  /** Whole command lines, shown by --help and guestkit-TOOL(1). */
  examples: readonly string[];
}

/** -d/-c name libvirt guests; guestkit has no libvirt connection, and says so rather than guessing. */
export function addLibvirtRefusal(cmd: Command): () => void {
  cmd.addOption(new Option('-d, --domain <guest>', 'libvirt guest (not supported: use -a with its disk images)'));
  cmd.addOption(new Option('-c, --connect <uri>', 'libvirt URI (not supported: use -a)'));
  return () => {
    const o = cmd.opts<{ domain?: string; connect?: string }>();
    if (o.domain !== undefined || o.connect !== undefined) {
      throw new GuestkitError('ENOTSUP', `libvirt guests (-d${o.connect !== undefined ? ', -c' : ''}) are not supported: give the guest's disk images with -a`);
    }
  };
}

export function guestCommandTool(spec: GuestCommandSpec): Command {
  const cmd = new Command(spec.name)
    .description(spec.description)
    .argument('[words...]', spec.usage)
    .usage(`[--options] -a disk.img ${spec.usage}`)
    .addHelpText('after', examplesHelp(...spec.examples));
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: !spec.writes });
  const refuseLibvirt = addLibvirtRefusal(cmd);
  cmd.action(async (words: string[]) => {
    await runTool(spec.name, async () => {
      refuseLibvirt();
      const o = driveOpts();
      const g = await openGuest(o, { tool: spec.name, needMounts: true, readOnly: !spec.writes, transactional: spec.writes, commands: spec.commands });
      const guard = spec.writes ? new SignalGuard((line) => process.stderr.write(`guestkit ${spec.name}: ${line}\n`)) : undefined;
      // Large trees show a progress bar on a terminal, as guestfish's progress bars do.
      const bar = progressBar();
      const stopProgress = g.onProgress((done, total) => bar.update(done, total));
      try {
        const shell = new FishShell(g, { out: process.stdout, err: process.stderr });
        try {
          await shell.dispatch(spec.name, words.map((text) => ({ text, quoted: true })));
        } catch (e) {
          // guestfish prints its usage complaints as they are, without "error:".
          if (!(e instanceof UsageError)) throw e;
          process.stderr.write(e.message);
          return 1;
        }
        if (guard) await guard.commit(() => g.commit());
      } finally {
        stopProgress();
        bar.end();
        await g.close().catch(() => undefined);
        guard?.dispose();
      }
      return 0;
    });
  });
  return cmd;
}
