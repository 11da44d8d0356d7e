/**
 * fish's `debug`: a look inside the appliance (libguestfs: its daemon's debug.c). Only
 * the subcommands that mean something for guestkit's busybox appliance are kept:
 * the ones that crash or trace the daemon (segv, qtrace, core_pattern, spew...) have
 * no daemon to act on. Appliance only; the wasm backend has no VM to look into.
 */
import { ErrnoError } from '../errors/index.js';
import { appliance } from './appliance-access.js';
import { defineCommand } from './types.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** subcommand → the script it runs in the appliance (args quoted), and whether its last newline is dropped. */
const SUBCOMMANDS: Record<string, { script: (args: string[]) => string; trim?: boolean }> = {
  binaries: { script: () => 'ls -1 /bin /sbin /usr/bin /usr/sbin 2>/dev/null | grep -v "^/\\|^$" | sort -u' },
  env: { script: () => 'env | sort' },
  fds: { script: () => 'ls -l /proc/self/fd/' },
  ls: { script: (a) => `ls -a ${a.map(quote).join(' ')}` },
  ll: { script: (a) => `ls -la ${a.map(quote).join(' ')}` },
  print: { script: () => 'echo ok', trim: true },
  sh: { script: (a) => a.join(' '), trim: true },
};

export const debug = defineCommand({
  name: 'debug',
  args: [{ name: 'subcmd', kind: 'String' }, { name: 'extraargs', kind: 'StringList' }],
  ret: 'string',
  shortdesc: 'debugging and internals',
  longdesc: `Looks inside the appliance: "help" lists the subcommands; "sh CMD" runs a shell command there
(outside the guest's root: /sysroot is the guest); "ls DIR" and "ll DIR" list an appliance directory;
"env" its environment; "fds" the agent's open files; "binaries" its programs; "print" answers "ok".
Appliance only. The daemon-internal ones of libguestfs (segv, qtrace, core_pattern, progress...) do not exist.`,
  examples: ['debug help ""', 'debug sh "cat /proc/mounts"', 'debug ll /sysroot'],
  impl: {
    appliance: async (ctx, [sub, extra]) => {
      if (sub === 'help') return `Commands supported: help ${Object.keys(SUBCOMMANDS).join(' ')}`;
      const s = SUBCOMMANDS[sub];
      if (!s) throw new ErrnoError('EINVAL', "use 'debug help 0' to list the supported commands");
      const out = await appliance(ctx).shText(s.script(extra));
      return s.trim ? out.replace(/\n$/, '') : out;
    },
  },
});

export const DEBUG_COMMANDS = [debug] as const;
