/**
 * An error in how a command was called (unknown name, argument count or kind):
 * guestfish prints these with its own wording, not as "error: CMD: ...", so the
 * message is kept exactly as it must appear on stderr, newline included.
 */
import { GuestkitError } from '../errors/index.js';

export class UsageError extends GuestkitError {
  constructor(text: string) {
    super('EINVAL', text);
    this.name = 'UsageError';
  }

  /** The three lines guestfish prints for a wrong number of arguments. */
  static arity(command: string, usage: string): UsageError {
    return new UsageError(`error: incorrect number of arguments\nusage: ${usage}\ntype 'help ${command}' for more help on ${command}\n`);
  }
}
