/**
 * The fish command lines the launcher (tools/guestkit.ts) serves without the
 * CLI bundle, its command table and the shell (fish-client.ts runs them):
 *   remote: `fish --remote[=PID] [--] CMD …`, a command line sent to a listening
 *           fish. Anything else beside --remote (-f, a script on stdin, more
 *           flags) goes through the CLI.
 *   listen: `fish … --listen …`, the parent that starts the background shell
 *           and prints its PID. The flags are read by that background process
 *           (the whole CLI); when they turn out not to mean a listener (`--listen`
 *           was a value or an operand, -N help…), it hands the command line back
 *           and the parent runs it through the CLI after all.
 * Pure: reads argv and the environment only.
 */
import { LISTENER_ENV } from './fish-listen.js';

export type FishFastPath =
  | { kind: 'remote'; /** what followed `--remote=`; undefined: $GUESTFISH_PID */ pid: string | undefined; words: string[] }
  | { kind: 'listen'; csh: boolean };

/** Flags that answer on standard output without a session (the background process's output is not shown). */
const ANSWERS_ALONE = /^(--help|--version|-V|-h|--cmd-help(=.*)?|--remote(=.*)?)$/s;

export function fishFastPath(argv: readonly string[], env: NodeJS.ProcessEnv): FishFastPath | undefined {
  if (argv[0] !== 'fish') return undefined;
  const remote = /^--remote(?:=(.*))?$/s.exec(argv[1] ?? '');
  if (remote) {
    let first = 2;
    if (argv[first] === '--') first++;
    // Another flag: the CLI parses it.
    else if (argv[first]?.startsWith('-')) return undefined;
    const words = argv.slice(first);
    return words.length > 0 ? { kind: 'remote', pid: remote[1], words } : undefined;
  }
  if (env[LISTENER_ENV] !== undefined) return undefined;
  const end = argv.indexOf('--');
  const options = argv.slice(1, end < 0 ? undefined : end);
  if (!options.includes('--listen') || options.some((a) => ANSWERS_ALONE.test(a))) return undefined;
  return { kind: 'listen', csh: options.includes('--csh') };
}
