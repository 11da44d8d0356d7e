/**
 * Options with an optional value (`--checksum[=TYPE]`) parsed as getopt_long
 * parses them in the virt tools: the value is taken only when attached
 * (`--checksum=sha256`, `-cVALUE`); `--checksum /etc` is the flag alone followed
 * by the operand /etc. Commander would take /etc as the value, so each bare use
 * of such a flag is marked before Commander sees it and turned back into "no
 * value" (the option's preset, else true) before the action runs.
 */
import type { Command, Option } from 'commander';

/** Cannot occur in a real argument (argv strings have no NUL). */
const BARE = '\u0000bare';

/** An argParser sees this marker for a bare use (the flag without a value) before it is turned back. */
export const isBareValue = (v: unknown) => v === BARE || v === undefined;

export function attachedOptionalValues(cmd: Command): Command {
  // Commander marks a flag optional when its value placeholder has "[" — even inside "<dev[:mnt]>", which is required.
  const optional = () => cmd.options.filter((o: Option) => o.optional && !o.required);
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]) => {
    const flags = new Set(optional().flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)));
    const end = argv.indexOf('--');
    const marked = argv.map((a, i) => (flags.has(a) && (end < 0 || i < end) ? (a.startsWith('--') ? `${a}=${BARE}` : `${a}${BARE}`) : a));
    return parse(marked);
  };
  cmd.hook('preAction', (thisCommand) => {
    for (const o of optional()) {
      const key = o.attributeName();
      if (thisCommand.getOptionValue(key) === BARE) thisCommand.setOptionValueWithSource(key, o.presetArg ?? true, 'cli');
    }
  });
  return cmd;
}
