/** guestkit tar-out: virt-tar-out. Packs a guest directory into a host tar file (or "-" for standard output). */
import type { Command } from 'commander';
import { guestCommandTool } from '../common/guest-command-tool.js';

export function tarOutCommand(): Command {
  return guestCommandTool({
    name: 'tar-out',
    description: 'pack a virtual machine disk image directory into a tarball (virt-tar-out)',
    usage: '/dir files.tar [compress:gzip|xz|...] [numericowner:true] [excludes:"PATTERN ..."]',
    writes: false,
    commands: ['tar-out'],
    examples: ['guestkit tar-out -a disk.img /etc - | tar -tvf -'],
  });
}
