/**
 * guestkit edit: virt-edit. Each guest file in turn is edited on the host, by
 * $EDITOR (vi when unset) or by -e Perl-style substitutions (customize's
 * engine, src/customize/perl-subst.ts), and written back as virt-edit does
 * (src/edit/guest-file-edit.ts). The disks are transactional: nothing reaches
 * them unless every file was edited, so a failing edit leaves the image as it was.
 */
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { addDriveOptions } from '../common/drive-options.js';
import { addLibvirtRefusal } from '../common/guest-command-tool.js';
import { openGuest } from '../common/open-guest.js';
import { runTool } from '../common/run-tool.js';
import { SignalGuard } from '../common/signal-guard.js';
import type { Guestfs } from '../../src/core/guestfs.js';
import { parsePerlEdit, type PerlEdit } from '../../src/customize/perl-subst.js';
import { replaceGuestFile, withGuestFile } from '../../src/edit/guest-file-edit.js';
import { guestPathResolver } from '../../src/inspect/windows-path.js';
import { runProgramOn } from '../../src/shell/host-command.js';
import { examplesHelp } from '../common/tool-examples.js';

const PROG = 'guestkit edit';

interface EditFlags {
  backup?: string;
  expr?: string;
  edit?: string;
}

/** One file: its new content from the expression or the editor; null when the editor left it unchanged. */
async function editOne(g: Guestfs, path: string, perl: PerlEdit | undefined): Promise<Uint8Array | null> {
  return withGuestFile(g, path, async (file, before) => {
    if (perl) return perl.applyFile(before);
    const editor = process.env.EDITOR || 'vi';
    await runProgramOn({ localDir: process.cwd(), env: process.env, io: { out: process.stdout } }, editor, file, 'editor');
    const after = await readFile(file);
    if (!after.equals(Buffer.from(before))) return after;
    // virt-edit's words; the file is compared by content (virt-edit compares the copy's ctime in whole seconds and its size).
    process.stdout.write('File not changed.\n');
    return null;
  });
}

export function editCommand(): Command {
  const cmd = new Command('edit')
    .description('edit a file in a virtual machine (virt-edit)')
    .argument('[files...]', 'guest paths to edit, in turn')
    .usage('[--options] -a disk.img [-e EXPR] [-b EXT] file [file ...]')
    .addHelpText('after', examplesHelp("guestkit edit -a disk.img /etc/hostname -e 's/^debian/web1/'"));
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: false });
  const refuseLibvirt = addLibvirtRefusal(cmd);
  cmd.addOption(new Option('-b, --backup <extension>', 'keep the original under its name plus this extension (e.g. .orig)'));
  cmd.addOption(new Option('-e, --expr <expr>', 'apply this Perl-style expression (s/PATTERN/REPLACEMENT/FLAGS) to each line instead of running $EDITOR (also --edit)'));
  cmd.addOption(new Option('--edit <expr>').hideHelp());
  cmd.action(async (files: string[], flags: EditFlags) => {
    await runTool('edit', async () => {
      refuseLibvirt();
      const o = driveOpts();
      if (files.length === 0) {
        // As virt-edit: only the pointer to --help.
        process.stderr.write('Try ‘guestkit edit --help’ for more information.\n');
        return 1;
      }
      // A bad expression is refused before the disks are opened.
      const expr = flags.expr ?? flags.edit;
      const perl = expr !== undefined ? parsePerlEdit(expr) : undefined;
      const g = await openGuest(o, { tool: 'edit', needMounts: true, readOnly: false, transactional: true, commands: ['copy-attributes', 'mv'] });
      const guard = new SignalGuard((line) => process.stderr.write(`${PROG}: ${line}\n`));
      try {
        // On an inspected Windows guest, C:\dir\file paths (as virt-edit takes them).
        const resolve = await guestPathResolver(g, false);
        for (const f of files) {
          const path = await resolve(f);
          const content = await editOne(g, path, perl);
          if (content !== null) await replaceGuestFile(g, path, content, flags.backup);
        }
        await guard.commit(() => g.commit());
      } finally {
        await g.close().catch(() => undefined);
        guard.dispose();
      }
      return 0;
    });
  });
  return cmd;
}
