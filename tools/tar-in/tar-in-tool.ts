/** guestkit tar-in: virt-tar-in. Unpacks a host tar file (or "-" for standard input) into a guest directory. */
import type { Command } from 'commander';
import { guestCommandTool } from '../common/guest-command-tool.js';

export function tarInCommand(): Command {
  return guestCommandTool({
    name: 'tar-in',
    description: 'unpack a tarball into a virtual machine disk image (virt-tar-in)',
    usage: 'data.tar /destination [compress:gzip|xz|...]',
    writes: true,
    commands: ['tar-in'],
    examples: ['guestkit tar-in -a disk.img homes.tar.gz /home compress:gzip'],
  });
}
