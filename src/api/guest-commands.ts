/** Running the guest's own programs (the appliance backend's), and mounting with options. */
import { defineCommand } from './types.js';
import { applianceOp } from './appliance-access.js';
import { wasm } from './wasm-access.js';

export const command = defineCommand({
  name: 'command',
  args: [{ name: 'arguments', kind: 'StringList' }],
  ret: 'string',
  shortdesc: 'run a command from the guest filesystem',
  longdesc: `Runs a program of the guest, in a chroot of the mounted guest (with /dev, /proc and /sys),
and returns its standard output. The root filesystem must be mounted. Needs the appliance backend.`,
  examples: ['command "/bin/ls -l /"'],
  impl: { appliance: applianceOp('command') },
});

export const sh = defineCommand({
  name: 'sh',
  args: [{ name: 'command', kind: 'String' }],
  ret: 'string',
  shortdesc: 'run a command via the shell',
  longdesc: "Runs the command with the guest's /bin/sh -c, in a chroot of the mounted guest, and returns its output. Needs the appliance backend.",
  examples: ['sh "rpm -qa | wc -l"'],
  impl: { appliance: applianceOp('sh') },
});

export const mountOptions = defineCommand({
  name: 'mount-options',
  args: [{ name: 'options', kind: 'String' }, { name: 'mountable', kind: 'Mountable' }, { name: 'mountpoint', kind: 'String' }],
  ret: 'void',
  shortdesc: 'mount a guest disk with mount options',
  longdesc: `The same as mount, with mount(8) options such as "ro,noatime" ("ro" mounts read-only). The wasm backend
serves btrfs's subvol= and subvolid= and options that change nothing for a reader (noatime, ...); other options need the appliance.`,
  examples: ['mount-options ro,noload /dev/sda1 /', 'mount-options ro,subvol=@/home /dev/sda2 /home'],
  impl: {
    appliance: applianceOp('mountOptions'),
    wasm: async (ctx, [options, dev, mp]) => wasm(ctx).mount(dev, mp, options.split(',').includes('ro'), options),
  },
});

export const mountVfs = defineCommand({
  name: 'mount-vfs',
  args: [{ name: 'options', kind: 'String' }, { name: 'vfstype', kind: 'String' }, { name: 'mountable', kind: 'Mountable' }, { name: 'mountpoint', kind: 'String' }],
  ret: 'void',
  shortdesc: 'mount a guest disk with mount options and vfstype',
  longdesc: 'The same as mount-options, naming the filesystem type too. Needs the appliance backend.',
  examples: ['mount-vfs ro btrfs /dev/sda2 /'],
  impl: { appliance: applianceOp('mountVfs') },
});

/** Output lines as libguestfs splits them: on newlines, without the empty string after a final one. */
function splitLines(out: string): string[] {
  if (out === '') return [];
  const l = out.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

export const commandLines = defineCommand({
  name: 'command-lines',
  args: [{ name: 'arguments', kind: 'StringList' }],
  ret: 'strings',
  shortdesc: 'run a command, returning lines',
  longdesc: 'The same as command, returning its output split into lines. Needs the appliance backend.',
  examples: ['command-lines "/bin/ls /etc"'],
  impl: { appliance: async (ctx, [argv]) => splitLines((await ctx.call('command', [argv])) as string) },
});

export const shLines = defineCommand({
  name: 'sh-lines',
  args: [{ name: 'command', kind: 'String' }],
  ret: 'strings',
  shortdesc: 'run a command via the shell returning lines',
  longdesc: 'The same as sh, returning its output split into lines. Needs the appliance backend.',
  examples: ['sh-lines "ls /etc | head -3"'],
  impl: { appliance: async (ctx, [cmd]) => splitLines((await ctx.call('sh', [cmd])) as string) },
});
