/**
 * The shell's own commands: guestfish's fish-only commands, which act on the
 * shell, the host or several API calls at once rather than being one API call.
 * Each is defined once here (name, aliases, usage, docs, arity and its run);
 * the dispatcher, `help` and `help -l` read this table beside the API's.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Guestfs } from '../core/guestfs.js';
import { GuestkitError } from '../errors/index.js';
import { copyIn, copyOut } from '../copy/copy-in-out.js';
import { withGuestFile } from '../edit/guest-file-edit.js';
import { globCombinations } from './glob.js';
import { commandHelp, helpIntro, helpList } from './help.js';
import { runProgramOn, type HostContext } from './host-command.js';
import { createDiskFile, parseSize } from './local-disk.js';
import { FISH_EXTRA_COMMANDS } from './fish-extra-commands.js';
import type { Word } from './tokenize.js';
import { UsageError } from './usage-error.js';

/** What the shell's own commands may use of the shell. */
export interface FishContext extends HostContext {
  g: Guestfs;
  localDir: string;
  readonly io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream };
  write(s: string | Uint8Array): Promise<void>;
  dispatch(name: string, args: Word[]): Promise<void>;
  quit(): never;
  readonly options: { newHandle?: () => Guestfs };
}

export interface FishCommand {
  name: string;
  aliases?: readonly string[];
  /** The synopsis `help` shows. */
  usage: string;
  shortdesc: string;
  longdesc: string;
  /** Names that work but that `help -l` does not list (as guestfish hides 'exit' and 'q'). */
  hiddenAliases?: readonly string[];
  /** Least and most arguments (Infinity: no limit). */
  arity: readonly [number, number];
  /** What guestfish prints when the count is wrong (each command words it its own way; NAME: the name used). */
  arityMessage: string;
  /** invokedAs: the name used (an alias may choose a variant: `vi` runs vi). */
  run(ctx: FishContext, args: string[], invokedAs: string): Promise<void>;
}

const words = (texts: string[]): Word[] => texts.map((text) => ({ text, quoted: true }));

/** A guest file copied to a private host directory, removed afterwards. */
const EDITORS: Record<string, (env: NodeJS.ProcessEnv) => string> = { edit: (env) => env.EDITOR || 'vi', vi: () => 'vi', emacs: () => 'emacs' };

const edit: FishCommand = {
  name: 'edit',
  aliases: ['vi', 'emacs'],
  usage: 'edit filename',
  shortdesc: 'edit a file',
  longdesc: `Copies the guest file to a temporary host file, runs the editor named by $EDITOR
(vi when unset; the vi and emacs aliases run those) on it, and writes it back to the
guest if it changed. The file keeps its inode, so its owner and mode stay as they were.`,
  arity: [1, 1],
  arityMessage: "use 'NAME filename' to edit a file\n",
  run: async (ctx, [path], invokedAs) => {
    await withGuestFile(ctx.g, path!, async (file, before) => {
      await runProgramOn(ctx, EDITORS[invokedAs]!(ctx.env), file, 'editor');
      const after = await readFile(file);
      if (!after.equals(Buffer.from(before))) await ctx.g.call('write', [path!, after]);
    });
  },
};

const more: FishCommand = {
  name: 'more',
  aliases: ['less'],
  usage: 'more filename',
  shortdesc: 'view a file',
  longdesc: 'Shows the guest file with the pager named by $PAGER (more when unset; the less alias runs less).',
  arity: [1, 1],
  arityMessage: "use 'NAME filename' to page a file\n",
  run: async (ctx, [path], invokedAs) =>
    withGuestFile(ctx.g, path!, (file) => runProgramOn(ctx, invokedAs === 'less' ? 'less' : ctx.env.PAGER || 'more', file, 'pager')),
};

function diskFileCommand(name: string, aliases: string[], how: 'allocated' | 'sparse', arityMessage: string): FishCommand {
  return {
    name,
    aliases,
    usage: `${name} filename size`,
    shortdesc: how === 'sparse' ? 'create a sparse disk image and add' : 'allocate and add a disk file',
    longdesc: `Creates the host file (truncating one that exists) ${how === 'sparse' ? 'as a sparse file that takes no space until written' : 'with every byte allocated (zeros)'}
and adds it as a drive, as add-drive does. The size takes a suffix: 10M, 2G (1024s), 1MB (1000s).`,
    arity: [2, 2],
    arityMessage,
    run: async (ctx, [file, size]) => {
      const path = resolve(ctx.localDir, file!);
      await createDiskFile(path, parseSize(size!), how);
      await ctx.g.call('add-drive', [path]);
    },
  };
}

export const FISH_COMMANDS: readonly FishCommand[] = [
  {
    name: 'echo',
    usage: 'echo [params ...]',
    shortdesc: 'display a line of text',
    longdesc: 'Prints its arguments separated by single spaces, and a newline.',
    arity: [0, Infinity],
    arityMessage: '',
    run: (ctx, args) => ctx.write(args.join(' ') + '\n'),
  },
  {
    name: 'help',
    usage: 'help [-l|cmd]',
    shortdesc: 'display a list of commands or help on a command',
    longdesc: 'With no argument, how to start; with -l, every command; with a command name, its documentation.',
    arity: [0, 1],
    arityMessage: "use 'help' or 'help -l' or 'help CMD'\n",
    run: async (ctx, [what]) => {
      if (what === undefined) return ctx.write(helpIntro());
      if (what === '-l' || what === '--list') return ctx.write(helpList());
      const text = commandHelp(what);
      if (!text) throw new UsageError(`${what}: command not known, use -h to list all commands\n`);
      return ctx.write(text);
    },
  },
  {
    name: 'quit',
    hiddenAliases: ['exit', 'q'],
    usage: 'quit',
    shortdesc: 'quit guestfish',
    longdesc: 'Ends the session; the handle is closed.',
    arity: [0, Infinity],
    arityMessage: '',
    run: async (ctx) => ctx.quit(),
  },
  {
    name: 'lcd',
    usage: 'lcd directory',
    shortdesc: 'change working directory',
    longdesc: 'Changes the host directory that local file names (upload, download, copy-out, !cmd...) are relative to.',
    arity: [1, 1],
    arityMessage: "use 'lcd directory' to change local directory\n",
    run: async (ctx, [dir]) => {
      const path = resolve(ctx.localDir, dir!);
      const st = await stat(path).catch(() => undefined);
      if (!st) throw new UsageError(`${dir}: No such file or directory\n`);
      if (!st.isDirectory()) throw new UsageError(`${dir}: Not a directory\n`);
      ctx.localDir = path;
    },
  },
  {
    name: 'setenv',
    usage: 'setenv VAR value',
    shortdesc: 'set an environment variable',
    longdesc: 'Sets a variable in the environment of the host commands, editors and pagers the shell runs.',
    arity: [2, 2],
    arityMessage: "use 'setenv VAR value' to set an environment variable\n",
    run: async (ctx, [name, value]) => { ctx.env[name!] = value!; },
  },
  {
    name: 'unsetenv',
    usage: 'unsetenv VAR',
    shortdesc: 'unset an environment variable',
    longdesc: 'Removes a variable from the environment of the host commands the shell runs.',
    arity: [1, 1],
    arityMessage: "use 'unsetenv VAR' to unset an environment variable\n",
    run: async (ctx, [name]) => { delete ctx.env[name!]; },
  },
  {
    name: 'time',
    usage: 'time command [args...]',
    shortdesc: 'print elapsed time taken to run a command',
    longdesc: 'Runs the command, then prints how long it took.',
    arity: [1, Infinity],
    arityMessage: "use 'time command [args...]'\n",
    run: async (ctx, [command, ...args]) => {
      const start = process.hrtime.bigint();
      await ctx.dispatch(command!, words(args));
      const centis = Number((process.hrtime.bigint() - start) / 10_000_000n);
      await ctx.write(`elapsed time: ${Math.floor(centis / 100)}.${String(centis % 100).padStart(2, '0')} seconds\n`);
    },
  },
  {
    name: 'glob',
    usage: 'glob command args...',
    shortdesc: 'expand wildcards in command',
    longdesc: `Expands wildcards (*, ?, [...]) in the arguments against the guest's files, or its
devices for /dev/ names, and runs the command once for each combination. Directories
match with a trailing '/'; a pattern that matches nothing is passed unchanged.`,
    arity: [1, Infinity],
    arityMessage: "use 'glob command [args...]'\n",
    run: async (ctx, [command, ...args]) => {
      for (const combo of await globCombinations(ctx.g, args)) await ctx.dispatch(command!, words(combo));
    },
  },
  {
    name: 'copy-in',
    usage: 'copy-in local [local ...] /remotedir',
    shortdesc: 'copy local files or directories into an image',
    longdesc: `Copies host files and directories (recursively) into the guest directory, which
must exist. Modes, times and symlinks are kept; owners too when run as root.`,
    arity: [2, Infinity],
    arityMessage: "use 'copy-in <local> [<local>...] <remotedir>' to copy files into the image\n",
    run: (ctx, args) => copyIn(ctx.g, ctx.localDir, args.slice(0, -1), args.at(-1)!),
  },
  {
    name: 'copy-out',
    usage: 'copy-out remote [remote ...] localdir',
    shortdesc: 'copy remote files or directories out of an image',
    longdesc: `Copies guest files and directories (recursively) into the host directory, which
must exist. Symlinks stay symlinks; nothing is written outside the directory.`,
    arity: [2, Infinity],
    arityMessage: "use 'copy-out <remote> [<remote>...] <localdir>' to copy files out of the image\n",
    run: (ctx, args) => copyOut(ctx.g, ctx.localDir, args.slice(0, -1), args.at(-1)!),
  },
  edit,
  more,
  {
    name: 'display',
    usage: 'display filename',
    shortdesc: 'display an image',
    longdesc: 'Shows a guest image file with the viewer named by $GUESTFISH_DISPLAY_IMAGE (display, from ImageMagick, when unset).',
    arity: [1, 1],
    arityMessage: 'display filename\n',
    run: async (ctx, [path]) => withGuestFile(ctx.g, path!, (file) => runProgramOn(ctx, ctx.env.GUESTFISH_DISPLAY_IMAGE || 'display', file, 'image viewer')),
  },
  diskFileCommand('alloc', ['allocate'], 'allocated', "use 'NAME file size' to create an image\n"),
  diskFileCommand('sparse', [], 'sparse', "use 'sparse file size' to create a sparse image\n"),
  {
    name: 'reopen',
    usage: 'reopen',
    shortdesc: 'close and reopen libguestfs handle',
    longdesc: 'Closes the handle (shutting down what it launched) and opens a new one with the same settings and no drives.',
    arity: [0, 0],
    arityMessage: '‘reopen’ command takes no parameters\n',
    run: async (ctx) => {
      const create = ctx.options.newHandle;
      if (!create) throw new GuestkitError('ENOTSUP', 'this shell cannot open a new handle');
      await ctx.g.close();
      ctx.g = create();
    },
  },
  ...FISH_EXTRA_COMMANDS,
];

const byName = new Map<string, FishCommand>();
for (const c of FISH_COMMANDS) for (const n of [c.name, ...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]) byName.set(n, c);

export function findFishCommand(name: string): FishCommand | undefined {
  return byName.get(name.replace(/_/g, '-'));
}
