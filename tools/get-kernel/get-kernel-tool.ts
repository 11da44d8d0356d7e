/**
 * guestkit get-kernel: virt-get-kernel. Inspects the guest (one OS, Linux),
 * mounts it read-only, and downloads its newest kernel and initramfs from /boot
 * into the -o directory (the current one by default), saying each as it goes.
 * The disk is opened read-only: not a byte is written to it.
 */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { addDriveOptions } from '../common/drive-options.js';
import { addLibvirtRefusal } from '../common/guest-command-tool.js';
import { openGuest } from '../common/open-guest.js';
import { runTool } from '../common/run-tool.js';
import { GuestkitError } from '../../src/errors/index.js';
import { inspectedRoot } from '../../src/inspect/session.js';
import { mountOs } from '../../src/inspect/mount-inspected.js';
import { kernelDestName, pickKernelFiles } from '../../src/inspect/kernel-files.js';
import { examplesHelp } from '../common/tool-examples.js';

interface GetKernelFlags {
  output?: string;
  prefix?: string;
  unversionedNames?: boolean;
  quiet?: boolean;
}

export function getKernelCommand(): Command {
  const cmd = new Command('get-kernel')
    .description('extract kernel and ramdisk from a guest (virt-get-kernel)')
    .usage('[--options] -a disk.img [-o DIR]')
    .addHelpText('after', examplesHelp('guestkit get-kernel -a disk.img -o /tmp/kernels --unversioned-names'));
  const driveOpts = addDriveOptions(cmd, { readOnlyDefault: true, mounts: false });
  const refuseLibvirt = addLibvirtRefusal(cmd);
  cmd.addOption(new Option('-o, --output <directory>', 'output directory (default: the current directory)'));
  cmd.addOption(new Option('--prefix <prefix>', 'save files as PREFIX-NAME'));
  cmd.addOption(new Option('--unversioned-names', 'save files without their version (vmlinuz, initrd.img)'));
  cmd.addOption(new Option('-q, --quiet', "don't print the download lines"));
  cmd.action(async (flags: GetKernelFlags) => {
    await runTool('get-kernel', async () => {
      refuseLibvirt();
      const o = driveOpts();
      if (o.drives.length === 0) throw new GuestkitError('EINVAL', 'you must give either -a or -d options.  Read virt-get-kernel(1) man page for further information.');
      if (o.drives.length > 1) throw new GuestkitError('EINVAL', '--add option can only be given once');
      const g = await openGuest(o, { tool: 'get-kernel', needMounts: false, readOnly: true, commands: ['download'] });
      try {
        const roots = (await g.call('inspect-os', [])) as string[];
        if (roots.length === 0) throw new GuestkitError('ENOENT', 'no operating system found');
        if (roots.length > 1) throw new GuestkitError('EINVAL', 'dual/multi-boot images are not supported by this tool');
        const os = inspectedRoot(g, roots[0]!);
        const failures = await mountOs(g, os, true);
        const rootFailure = failures.find((f) => f.mountpoint === '/');
        if (rootFailure) throw rootFailure.error;
        if (os.type !== 'linux') throw new GuestkitError('ENOTSUP', `operating system ‘${os.type}’ not supported`);
        const names = { unversioned: flags.unversionedNames, prefix: flags.prefix };
        for (const file of await pickKernelFiles(g, os.root)) {
          const dest = flags.output === undefined ? `./${kernelDestName(file, names)}` : join(flags.output, kernelDestName(file, names));
          if (!flags.quiet) process.stdout.write(`download: ${file} -> ${dest}\n`);
          await g.download(file, dest);
        }
      } finally {
        await g.close();
      }
      return 0;
    });
  });
  return cmd;
}
