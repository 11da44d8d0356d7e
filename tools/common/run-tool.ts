/**
 * Runs a tool's main: errors become one line on stderr ("guestkit TOOL: error: ...")
 * and exit status 1, never a stack trace (unless GUESTKIT_DEBUG is set); a
 * closed standard output ends the tool silently, as SIGPIPE ends a virt tool.
 */
import { formatError } from '../../src/errors/index.js';
import { timingMark } from '../../src/util/timing-trace.js';
import { endQuietlyOnClosedOutput } from './closed-output.js';

export async function runTool(tool: string, main: () => Promise<number | void>): Promise<never> {
  endQuietlyOnClosedOutput();
  let status = 0;
  try {
    status = (await main()) ?? 0;
  } catch (e) {
    if (process.env.GUESTKIT_DEBUG) console.error(e);
    process.stderr.write(`guestkit ${tool}: error: ${formatError(e)}\n`);
    status = 1;
  }
  await new Promise<void>((r) => (process.stdout.writableLength === 0 ? r() : process.stdout.once('drain', () => r())));
  timingMark(`${tool} done, exiting`);
  process.exit(status);
}
