/**
 * What the documentation and the shell completions know of a tool: read from its
 * commander definition (the one that parses its command line), so the man pages
 * and completions cannot drift from the options a tool really takes.
 */
import type { Command, Option } from 'commander';

export interface OptionSpec {
  /** As written in the definition: '-a, --add <image>'. */
  flags: string;
  /** The option names: ['-a', '--add']. */
  names: string[];
  /** The value's placeholder ('image'), or undefined for a flag without a value. */
  valueName?: string;
  /** A value that may be left out (--checksum[=type]). */
  valueOptional: boolean;
  help: string;
}

export interface ArgumentSpec {
  name: string;
  help: string;
  variadic: boolean;
  required: boolean;
}

export interface ToolSpec {
  name: string;
  description: string;
  /** The words after the tool's name in its synopsis. */
  usage: string;
  options: OptionSpec[];
  arguments: ArgumentSpec[];
  subcommands: ToolSpec[];
  /** The text --help prints after the options (notes and examples), as it prints it. */
  afterHelp: string;
}

function optionSpec(o: Option): OptionSpec {
  // The value is what follows the names: '<image>', '[type]', '<dev[:mnt[:opts[:fstype]]]>'.
  const value = /\s(<(.+)>|\[(.+)\])$/.exec(o.flags);
  return {
    flags: o.flags,
    names: [o.short, o.long].filter((n): n is string => n !== undefined),
    valueName: value?.[2] ?? value?.[3],
    valueOptional: value?.[3] !== undefined,
    help: o.description,
  };
}

/** The help text a command adds after its options (addHelpText('after', ...)). */
function afterHelpText(cmd: Command): string {
  let text = '';
  // addHelpText registers a listener of the command (an EventEmitter, which commander's types do not say).
  (cmd as unknown as NodeJS.EventEmitter).emit('afterHelp', { error: false, command: cmd, write: (s: string) => { text += s; } });
  return text.replace(/^\n+|\n+$/g, '');
}

export function toolSpec(cmd: Command): ToolSpec {
  const help = cmd.createHelp();
  return {
    name: cmd.name(),
    description: cmd.description(),
    usage: cmd.usage(),
    options: help.visibleOptions(cmd).map(optionSpec),
    arguments: help.visibleArguments(cmd).map((a) => ({ name: a.name(), help: a.description, variadic: a.variadic, required: a.required })),
    subcommands: help.visibleCommands(cmd).filter((c) => c.name() !== 'help').map(toolSpec),
    afterHelp: afterHelpText(cmd),
  };
}
