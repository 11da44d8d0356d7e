/** guestkit's directory in the user's cache ($XDG_CACHE_HOME, else ~/.cache), joined with `parts`. */
import os from 'node:os';
import path from 'node:path';

export function guestkitCacheDir(...parts: string[]): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'guestkit', ...parts);
}
