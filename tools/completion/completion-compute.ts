/**
 * What the shell completions complete, from the same definitions that parse the
 * command line: the tools of tools/cli.ts, each tool's options (and which of
 * them take a value, and which value is a host file), and the fish shell's
 * command names (the command table and the shell's own commands).
 */
import type { Command } from 'commander';
import { COMMANDS } from '../../src/api/commands.js';
import { FISH_COMMANDS } from '../../src/shell/fish-commands.js';
import { toolSpec, type OptionSpec, type ToolSpec } from '../common/tool-specs.js';

export interface ToolCompletion {
  name: string;
  /** Every option name (-a, --add, ...). */
  options: string[];
  /** The options whose value is a host file or directory: complete file names after them. */
  fileOptions: string[];
  /** The other options that take a value (nothing to complete after them). */
  valueOptions: string[];
  subcommands: string[];
}

export interface CompletionModel {
  tools: ToolCompletion[];
  /** guestkit fish's command names, aliases included, sorted. */
  fishCommands: string[];
}

/**
 * Value placeholders that name a host file or directory (-a <image>, -f <script>,
 * -o <directory>, -k <path>). Upper-case placeholders (customize's --touch <FILE>)
 * are libguestfs's and mostly name guest files: not completed from the host.
 */
const HOST_FILE_VALUE = /^(image|script|file|directory|path)$/;

function toolCompletion(spec: ToolSpec): ToolCompletion {
  const valued = (o: OptionSpec) => o.valueName !== undefined && !o.valueOptional;
  const all = [...spec.options, ...spec.subcommands.flatMap((s) => s.options)];
  const unique = (xs: string[]) => [...new Set(xs)];
  return {
    name: spec.name,
    options: unique(all.flatMap((o) => o.names)),
    fileOptions: unique(all.filter((o) => valued(o) && HOST_FILE_VALUE.test(o.valueName!)).flatMap((o) => o.names)),
    valueOptions: unique(all.filter((o) => valued(o) && !HOST_FILE_VALUE.test(o.valueName!)).flatMap((o) => o.names)),
    subcommands: spec.subcommands.map((s) => s.name),
  };
}

export function completionModel(tools: readonly Command[]): CompletionModel {
  const names = [
    ...COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]),
    ...FISH_COMMANDS.flatMap((f) => [f.name, ...(f.aliases ?? [])]),
  ];
  return { tools: tools.map((t) => toolCompletion(toolSpec(t))), fishCommands: [...new Set(names)].sort() };
}
