/** The lines of a -f script or of stdin, each handed over as soon as its newline (or the end) is read. */
import { createReadStream, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { GuestkitError, codeOfError } from '../../src/errors/index.js';
import { strerror } from '../../src/errors/errno.js';

/** Opened here, so a missing script is guestfish's one-line "open: FILE: REASON", not a stream error later. */
export function scriptLines(file: string | undefined): AsyncIterable<string> {
  let input: NodeJS.ReadableStream = process.stdin;
  if (file !== undefined) {
    try {
      input = createReadStream('', { fd: openSync(file, 'r') });
    } catch (e) {
      const code = codeOfError(e);
      throw new GuestkitError(code, `open: ${file}: ${strerror(code)}`, { cause: e });
    }
  }
  return createInterface({ input, crlfDelay: Infinity, terminal: false });
}
