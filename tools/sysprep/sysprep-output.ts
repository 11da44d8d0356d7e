/** What guestkit sysprep prints: the operations list, and progress lines in virt-sysprep's style. */
import type { CustomizeReporter } from '../../src/customize/context.js';
import type { SysprepOperation } from '../../src/sysprep/operation.js';

/** --list-operations: "NAME * HEADING" (a space instead of * when not run by default), one a line. */
export function operationsList(ops: readonly SysprepOperation[]): string {
  return ops.map((op) => `${op.name} ${op.enabledByDefault ? '*' : ' '} ${op.heading}\n`).join('');
}

const PROG = 'guestkit sysprep';

/** "[  12.3] text" progress lines on stdout (none with -q; on stderr under -v as well), warnings on stdout. */
/** The customize reporter plus where --script programs' output goes. */
export interface SysprepReporter extends CustomizeReporter {
  output(text: string): void;
}

export function sysprepReporter(quiet: boolean, verbose: boolean): SysprepReporter {
  const t0 = Date.now();
  return {
    message: (text) => {
      const line = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}] ${text}\n`;
      if (!quiet) process.stdout.write(line);
      else if (verbose) process.stderr.write(line);
    },
    warning: (text) => process.stdout.write(`${PROG}: warning: ${text}\n`),
    info: (text) => process.stdout.write(`${PROG}: ${text}\n`),
    // a --script program's own output, as it printed it
    output: (text) => process.stdout.write(text),
  };
}
