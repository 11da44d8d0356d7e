/**
 * The top-level command and its run, given the tools a bundle holds: the full CLI
 * (cli.ts, every tool) and the lean bundle (image-tools-cli.ts, info/copy/serve)
 * parse the command line the same way. Only the tool named on the command line is
 * loaded; the top-level help and an unknown command load every tool given.
 */
import { Command } from 'commander';
import { attachedOptionalValues } from './common/attached-values.js';
import { timingMark } from '../src/util/timing-trace.js';
import { VERSION } from './version.js';
import type { ToolEntry } from './tool-entry.js';

/** The tools `argv` (the words after the program name) needs registered. */
function toolsFor(argv: readonly string[], tools: readonly ToolEntry[]): readonly ToolEntry[] {
  const first = argv[0];
  if (first === '--version' || first === '-V') return [];
  const named = tools.find(([name]) => name === first);
  return named ? [named] : tools;
}

/** The top-level command, without its tools. */
export function guestkitProgram(): Command {
  return new Command('guestkit')
    .description('inspect and edit virtual-machine disk images without mounting them (libguestfs-compatible)')
    .version(VERSION)
    .enablePositionalOptions();
}

/** Parses process.argv and runs the tool it names, one of `tools`. */
export async function runProgram(tools: readonly ToolEntry[]): Promise<void> {
  const program = guestkitProgram();
  for (const cmd of await Promise.all(toolsFor(process.argv.slice(2), tools).map(([, load]) => load()))) program.addCommand(cmd);
  // Every tool: an optional option value only when attached (--checksum=sha256), as getopt_long.
  for (const c of program.commands) attachedOptionalValues(c);
  timingMark('cli modules loaded');
  program.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 1);
  });
  await program.parseAsync(process.argv);
}
