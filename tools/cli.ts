/**
 * The guestkit command line: one subcommand per virt tool. Only the tool named
 * on the command line is loaded (each pulls in its own part of the library);
 * the top-level help and an unknown command need every tool, so they load all.
 */
import { Command } from 'commander';
import { attachedOptionalValues } from './common/attached-values.js';
import { timingMark } from '../src/util/timing-trace.js';
import { VERSION } from './version.js';

/** Each tool's Command, loaded on demand; the order is the help's order. */
export const TOOLS: ReadonlyArray<readonly [string, () => Promise<Command>]> = [
  ['cat', async () => (await import('./cat/cat-tool.js')).catCommand()],
  ['ls', async () => (await import('./ls/ls-tool.js')).lsCommand()],
  ['df', async () => (await import('./df/df-tool.js')).dfCommand()],
  ['fish', async () => (await import('./fish/fish-tool.js')).fishCommand()],
  ['inspect', async () => (await import('./inspect/inspect-tool.js')).inspectCommand()],
  ['customize', async () => (await import('./customize/customize-tool.js')).customizeCommand()],
  ['sysprep', async () => (await import('./sysprep/sysprep-tool.js')).sysprepCommand()],
  ['appliance', async () => (await import('./appliance/appliance-tool.js')).applianceCommand()],
  ['diff', async () => (await import('./diff/diff-tool.js')).diffCommand()],
  ['filesystems', async () => (await import('./filesystems/filesystems-tool.js')).filesystemsCommand()],
  ['info', async () => (await import('./info/info-tool.js')).infoCommand()],
  ['copy-in', async () => (await import('./copy-in/copy-in-tool.js')).copyInCommand()],
  ['copy-out', async () => (await import('./copy-out/copy-out-tool.js')).copyOutCommand()],
  ['tar-in', async () => (await import('./tar-in/tar-in-tool.js')).tarInCommand()],
  ['tar-out', async () => (await import('./tar-out/tar-out-tool.js')).tarOutCommand()],
  ['edit', async () => (await import('./edit/edit-tool.js')).editCommand()],
  ['get-kernel', async () => (await import('./get-kernel/get-kernel-tool.js')).getKernelCommand()],
  ['copy', async () => (await import('./copy/copy-tool.js')).copyCommand()],
  ['serve', async () => (await import('./serve/serve-tool.js')).serveCommand()],
  ['make-fs', async () => (await import('./make-fs/make-fs-tool.js')).makeFsCommand()],
  ['sparsify', async () => (await import('./sparsify/sparsify-tool.js')).sparsifyCommand()],
  ['resize', async () => (await import('./resize/resize-tool.js')).resizeCommand()],
  ['completion', async () => (await import('./completion/completion-tool.js')).completionCommand()],
];

/** The tools `argv` (the words after the program name) needs registered. */
function toolsFor(argv: readonly string[]): ReadonlyArray<readonly [string, () => Promise<Command>]> {
  const first = argv[0];
  if (first === '--version' || first === '-V') return [];
  const named = TOOLS.find(([name]) => name === first);
  return named ? [named] : TOOLS;
}

/** The top-level command, without its tools. */
export function guestkitProgram(): Command {
  return new Command('guestkit')
    .description('inspect and edit virtual-machine disk images without mounting them (libguestfs-compatible)')
    .version(VERSION)
    .enablePositionalOptions();
}

/** Parses process.argv and runs the tool it names. */
export async function runCli(): Promise<void> {
  const program = guestkitProgram();
  for (const cmd of await Promise.all(toolsFor(process.argv.slice(2)).map(([, load]) => load()))) program.addCommand(cmd);
  // Every tool: an optional option value only when attached (--checksum=sha256), as getopt_long.
  for (const c of program.commands) attachedOptionalValues(c);
  timingMark('cli modules loaded');
  program.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 1);
  });
  await program.parseAsync(process.argv);
}
