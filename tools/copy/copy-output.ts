/**
 * Progress for `guestkit copy`: a bar on a terminal (-p; nothing when stderr
 * is not a TTY), nbdcopy's machine-readable "N/100" lines on a file descriptor
 * (--progress=FD), or one JSON object per line (--json).
 */
import fs from 'node:fs';
import { ErrnoError, codeOfError } from '../../src/errors/index.js';

export type ProgressSink = (done: number, total: number) => void;

const BAR_WIDTH = 40;

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A bar redrawn in place on stderr, at most every 100 ms and at the end. */
export function terminalBar(): { sink: ProgressSink; end: () => void } {
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const frac = total > 0 ? done / total : 1;
    const fill = Math.round(frac * BAR_WIDTH);
    process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(BAR_WIDTH - fill)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${mib(done)}${total ? ` / ${mib(total)}` : ''}`);
    drawn = true;
  };
  return {
    sink: (done, total) => {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, total);
    },
    end: () => {
      if (drawn) process.stderr.write('\n');
    },
  };
}

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
