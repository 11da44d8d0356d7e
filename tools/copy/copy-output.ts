/**
 * Progress for `guestkit copy` besides the terminal bar (-p, drawn by
 * tools/common/progress-bar.ts): nbdcopy's machine-readable "N/100" lines on a
 * file descriptor (--progress=FD), or one JSON object per line (--json).
 */
import fs from 'node:fs';
import { ErrnoError, codeOfError } from '../../src/errors/index.js';

export type ProgressSink = (done: number, total: number) => void;

/** nbdcopy --progress=FD: "N/100\n" each time the whole percentage changes. */
export function percentLines(fd: number): ProgressSink {
  try {
    fs.fstatSync(fd);
  } catch {
    throw new ErrnoError('EBADF', `--progress=${fd}: file descriptor ${fd} is not open`);
  }
  let lastPercent = -1;
  return (done, total) => {
    const p = total > 0 ? Math.floor((done * 100) / total) : 0;
    if (p === lastPercent) return;
    lastPercent = p;
    try {
      fs.writeSync(fd, `${p}/100\n`);
    } catch (e) {
      throw new ErrnoError(codeOfError(e), `--progress=${fd}: cannot write to file descriptor ${fd}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
  };
}

/** --json: {"done":N,"total":N,"percent":N} per whole-percent step, on stderr. */
export function jsonLines(): ProgressSink {
  let lastPercent = -1;
  return (done, total) => {
    const p = total > 0 ? Math.floor((done * 100) / total) : 0;
    if (p === lastPercent && done !== total) return;
    lastPercent = p;
    process.stderr.write(JSON.stringify({ done, total, percent: p }) + '\n');
  };
}
