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
  description: string;
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
  /** Each fish command's short description (an alias's says whose), for shells that show them. */
  fishDescriptions: Map<string, string>;
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
    description: spec.description,
    options: unique(all.flatMap((o) => o.names)),
    fileOptions: unique(all.filter((o) => valued(o) && HOST_FILE_VALUE.test(o.valueName!)).flatMap((o) => o.names)),
    valueOptions: unique(all.filter((o) => valued(o) && !HOST_FILE_VALUE.test(o.valueName!)).flatMap((o) => o.names)),
    subcommands: spec.subcommands.map((s) => s.name),
  };
}

export function completionModel(tools: readonly Command[]): CompletionModel {
  const fishDescriptions = new Map<string, string>();
  for (const c of [...COMMANDS, ...FISH_COMMANDS]) {
    fishDescriptions.set(c.name, c.shortdesc);
    for (const a of c.aliases ?? []) if (!fishDescriptions.has(a)) fishDescriptions.set(a, `alias for '${c.name}'`);
  }
  return {
    tools: tools.map((t) => toolCompletion(toolSpec(t))),
    fishCommands: [...fishDescriptions.keys()].sort(),
    fishDescriptions,
  };
}
