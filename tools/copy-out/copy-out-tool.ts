/** guestkit copy-out: virt-copy-out. Copies guest files and directories (recursively) into a host directory. */
import type { Command } from 'commander';
import { guestCommandTool } from '../common/guest-command-tool.js';

export function copyOutCommand(): Command {
  return guestCommandTool({
    name: 'copy-out',
    description: 'copy files and directories out of a virtual machine disk image (virt-copy-out)',
    usage: '/file|/dir [/file|/dir ...] localdir',
    writes: false,
    commands: ['tar-out'],
    examples: ['guestkit copy-out -a disk.img /etc /tmp/out'],
  });
}
