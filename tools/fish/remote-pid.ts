/** The server a `fish --remote[=PID]` client talks to: shared by the CLI's flag parser and the light client (fish-client.ts). */
import { GuestkitError } from '../../src/errors/index.js';

/** value: what followed `--remote=`, or undefined for a bare `--remote` ($GUESTFISH_PID then). */
export function remotePid(value: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const text = value === undefined ? env.GUESTFISH_PID : value;
  // sscanf("%d") semantics, as guestfish: leading digits count, what follows them is ignored.
  const m = text === undefined ? null : /^\s*([+-]?\d+)/.exec(text);
  if (m) return Number(m[1]);
  if (value === undefined) throw new GuestkitError('EINVAL', 'remote: $GUESTFISH_PID must be set to the PID of the remote process');
  throw new GuestkitError('EINVAL', `--listen=PID: PID was not a number: ${value}`);
}
