/** guestkit copy-in: virt-copy-in. Copies host files and directories (recursively) into a guest directory. */
import type { Command } from 'commander';
import { guestCommandTool } from '../common/guest-command-tool.js';

export function copyInCommand(): Command {
  return guestCommandTool({
    name: 'copy-in',
    description: 'copy files and directories into a virtual machine disk image (virt-copy-in)',
    usage: 'file|dir [file|dir ...] /destination',
    writes: true,
    commands: ['tar-in'],
    examples: ['guestkit copy-in -a disk.img ./hosts ./srv-tree /etc'],
  });
}
