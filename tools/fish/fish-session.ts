/**
 * A fish session on a handle: drives (-a, -N), launch and mounts for -i/-m/-N,
 * then commands from the listener's clients, -f FILE, the command line, stdin or
 * the terminal. Loaded only when a handle is needed (not for -V, -h or --remote).
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { guestfsOptions, type DriveOptions } from '../common/drive-options.js';
import { progressBar } from '../common/progress-bar.js';
import { mountCommands, mountGuest, mountSpec } from '../common/open-guest.js';
import { driveName } from '../../src/backend/backend.js';
import { GuestkitError } from '../../src/errors/index.js';
import { Guestfs } from '../../src/core/guestfs.js';
import { FishShell } from '../../src/shell/fish.js';
import { stdinKeyReader } from '../../src/shell/key-reader.js';
import { buildPreparedDisk, createPreparedFile } from '../../src/shell/prepared-disks.js';
import { splitCommands, type Word } from '../../src/shell/tokenize.js';
import { libvirtError, type FishFlags } from './fish-options.js';
import { isListenerProcess } from './fish-listen.js';
import { serve } from './fish-serve.js';
import { scriptLines } from './script-input.js';

export async function session(o: DriveOptions, flags: FishFlags, words: Word[]): Promise<number> {
  // guestfish's old syntax `-i disk.img` (or `-i guest`): the words are the disks, not commands.
  if (o.inspect && o.drives.length === 0 && words.length > 0) {
    for (const w of words.splice(0)) {
      if (!w.text.includes('/') && !existsSync(w.text)) throw libvirtError(`-i ${w.text}`);
      o.drives.push({ file: w.text, readonly: false });
    }
  }
  const needs = { commands: [...mountCommands(o.mounts), ...flags.prepared.flatMap((p) => p.type.commands)] };
  // Nothing is read ahead: auto decides at launch from the drives, and the
  // handle moves to the appliance if a later command needs it.
  // guestfish's progress bars: on a terminal unless --no-progress-bars; --progress-bars without one prints POS/TOTAL lines.
  const bar = progressBar({ quiet: flags.progressBars === false, machineReadable: flags.progressBars === true && !process.stderr.isTTY });
  const withProgress = (h: Guestfs) => {
    h.onProgress((done, total) => {
      bar.update(done, total);
      // A finished command's bar is erased, so that what the shell prints next starts clean.
      if (total > 0 && done >= total) bar.interrupt();
    });
    return h;
  };
  const g = withProgress(new Guestfs(guestfsOptions(o, needs)));
  const shell = new FishShell(g, { out: process.stdout, err: process.stderr }, {
    newHandle: () => withProgress(new Guestfs(guestfsOptions(o, needs))),
    readKey: flags.keysFromStdin ? stdinKeyReader() : undefined,
  });
  shell.trace = o.trace;
  shell.pipeError = flags.pipeError;
  try {
    if (o.inspect && o.mounts.length > 0) throw new GuestkitError('EINVAL', 'cannot use -i and -m together: -i mounts the guest as inspection finds it');
    for (const p of flags.prepared) await createPreparedFile(p, process.cwd());
    for (const d of o.drives) g.addDrive(d.file, { format: d.format, readonly: d.readonly, locking: d.locking });
    if (!flags.sync) await g.call('set-autosync', [false]);
    if (flags.network) await g.call('set-network', [true]);
    // -i, -m and -N imply launch, as in guestfish.
    if (o.inspect || o.mounts.length > 0 || flags.prepared.length > 0) {
      await g.launch();
      if (o.inspect) await mountGuest(g, o, 'fish', o.drives.every((d) => d.readonly));
      for (const p of flags.prepared) await buildPreparedDisk(g, p, deviceOf(o, p.path));
      for (const m of o.mounts) await mountSpec(g, m, o.drives.every((d) => d.readonly));
    }
    if (isListenerProcess()) return await serve(shell, o.verbose);
    if (flags.file !== undefined) return await shell.runLines(scriptLines(flags.file));
    if (words.length > 0) return await shell.runCommands(splitCommands(words));
    if (!process.stdin.isTTY) return await shell.runLines(scriptLines(undefined));
    return await interactive(shell);
  } finally {
    bar.end();
    await shell.g.close();
  }
}

/** The device a drive has: /dev/sda for the first added, /dev/sdb for the second... */
function deviceOf(o: DriveOptions, path: string): string {
  return driveName(o.drives.findIndex((d) => d.file === path));
}

export async function interactive(shell: FishShell): Promise<number> {
  process.stdout.write("\nWelcome to guestkit fish, the guest filesystem shell.\n\nType: 'help' for help on commands\n      'quit' to quit the shell\n\n");
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '><fs> ' });
  rl.prompt();
  for await (const line of rl) {
    // Interactive: an error is reported and the session goes on.
    if ((await shell.runLine(line)) === 'quit') break;
    rl.prompt();
  }
  rl.close();
  return 0;
}
