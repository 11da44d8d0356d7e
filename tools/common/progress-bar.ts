/**
 * The one progress display of the tools' long operations (copying,
 * sparsifying, resizing, making filesystems). On a terminal: a bar in
 * libguestfs's style ("◐  42% ⟦▓▓▓▓════⟧ 00:12"), redrawn in place on
 * stderr at most every 100 ms, redrawn at the new width when the terminal is
 * resized (SIGWINCH), and erased by end() so the tool's own lines follow
 * cleanly. It never writes when stderr is not a terminal (piped output stays
 * byte for byte what the virt tools print) or with -q. --machine-readable
 * gives programs libguestfs's "POSITION/TOTAL" lines on stdout instead.
 */

export interface Progress {
  /** `done` of `total` units (bytes) are finished; total 0: unknown (the bar pulses until a total comes). */
  update(done: number, total: number): void;
  /** Erases the bar before the tool prints a line of its own; the next update draws it again. */
  interrupt(): void;
  /** Erases the bar (terminal) or writes the last position (machine-readable). Safe to call twice. */
  end(): void;
}

/** What the compute layers report progress through: `done` of `total` bytes of the current step. */
export type ProgressCallback = (done: number, total: number) => void;

export interface ProgressOptions {
  /** -q: nothing at all. */
  quiet?: boolean;
  /** --machine-readable: "POSITION/TOTAL" lines through `machineOut` rather than a bar. */
  machineReadable?: boolean;
  /** Where the bar is drawn (default process.stderr); drawn only when it is a TTY. */
  terminal?: NodeJS.WriteStream;
  /** Where machine-readable lines go (default process.stdout). */
  machineOut?: (line: string) => void;
  /** Least time between two redraws, ms (default 100). */
  intervalMs?: number;
  /** Clock, ms (tests). */
  now?: () => number;
}

/** Columns taken besides the bar itself: spinner and percentage ("◐ 42%"), a space, the two brackets, a space, "mm:ss". */
const OVERHEAD = 14;
/** Narrower than this, the bar is only the percentage. */
const MIN_COLUMNS = 32;

const NO_PROGRESS: Progress = { update: () => undefined, interrupt: () => undefined, end: () => undefined };

function utf8Locale(): boolean {
  const env = process.env;
  return /utf-?8/i.test(env.LC_ALL || env.LC_CTYPE || env.LANG || '');
}

/** "mm:ss" of the remaining time, "--:--" until 3 s have passed (early estimates are noise). */
function remaining(elapsedMs: number, ratio: number): string {
  if (ratio <= 0 || ratio >= 1 || elapsedMs < 3000) return ratio >= 1 ? '00:00' : '--:--';
  const left = Math.round((elapsedMs / ratio - elapsedMs) / 1000);
  if (left >= 100 * 60) return `>${Math.floor(left / 3600)}h`.padStart(5);
  return `${String(Math.floor(left / 60)).padStart(2, '0')}:${String(left % 60).padStart(2, '0')}`;
}

/** One frame of the bar, at most `columns - 1` wide (the last column would wrap on some terminals). */
export function barText(done: number, total: number, columns: number, frame: number, elapsedMs: number, utf8: boolean): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const spinners = utf8 ? ['◐', '◓', '◑', '◒'] : ['/', '-', '\\', '|'];
  const spinner = spinners[frame % spinners.length];
  const pulse = total <= 0;
  const percent = pulse ? `${spinner} ---` : ratio >= 1 ? ' 100%' : `${spinner}${String(Math.floor(ratio * 100)).padStart(3)}%`;
  if (columns < MIN_COLUMNS) return percent;
  const width = columns - 1 - OVERHEAD;
  const [open, dot, dash, close] = utf8 ? ['⟦', '▓', '═', '⟧'] : ['[', '#', '-', ']'];
  let inner: string;
  if (pulse) {
    // Unknown length: a short block travels along the bar.
    const at = (frame * 3) % width;
    inner = Array.from({ length: width }, (_, i) => (i >= at && i < at + 4 ? dot : dash)).join('');
  } else {
    const dots = Math.floor(ratio * width);
    inner = dot.repeat(dots) + dash.repeat(width - dots);
  }
  return `${percent} ${open}${inner}${close} ${pulse ? '--:--' : remaining(elapsedMs, ratio)}`;
}

/** The progress display the options ask for (a no-op one when there is nothing to show). */
export function progressBar(opts: ProgressOptions = {}): Progress {
  if (opts.quiet) return NO_PROGRESS;
  if (opts.machineReadable) return machineLines(opts.machineOut ?? ((l) => process.stdout.write(l)));
  const term = opts.terminal ?? process.stderr;
  if (!term.isTTY) return NO_PROGRESS;
  return terminalBar(term, opts.intervalMs ?? 100, opts.now ?? Date.now);
}

/** libguestfs's progress without a terminal: "POSITION/TOTAL", at most once per whole percent. */
function machineLines(out: (line: string) => void): Progress {
  let last = -1;
  let lastPercent = -1;
  let lastTotal = 0;
  return {
    update(done, total) {
      // An unknown length has no POS/TOTAL to give (libguestfs never reports one).
      if (total <= 0) return;
      const percent = Math.floor((done * 100) / total);
      if (total === lastTotal && (done === last || (percent === lastPercent && done < total))) return;
      last = done;
      lastPercent = percent;
      lastTotal = total;
      out(`${done}/${total}\n`);
    },
    interrupt() {},
    end() {
      if (lastTotal > 0 && last !== lastTotal) {
        last = lastTotal;
        out(`${lastTotal}/${lastTotal}\n`);
      }
    },
  };
}

function terminalBar(term: NodeJS.WriteStream, intervalMs: number, now: () => number): Progress {
  const utf8 = utf8Locale();
  let start = now();
  let lastDraw = -Infinity;
  let frame = 0;
  let shown = false;
  let ended = false;
  let state = { done: 0, total: 0 };
  const draw = () => {
    term.write(`\r${barText(state.done, state.total, term.columns || 80, frame++, now() - start, utf8)}\x1b[K`);
    shown = true;
  };
  // A resized terminal re-wraps the old frame: erase it and draw at the new width.
  const onResize = () => {
    if (!ended && shown) draw();
  };
  term.on('resize', onResize);
  // While the length is unknown nothing calls update: a timer animates the pulse (unref'd: it never keeps the process alive).
  let pulseTimer: NodeJS.Timeout | undefined;
  const pulse = (on: boolean) => {
    if (on && !pulseTimer) {
      pulseTimer = setInterval(() => {
        if (shown) draw();
      }, Math.max(intervalMs, 200));
      pulseTimer.unref();
    } else if (!on && pulseTimer) {
      clearInterval(pulseTimer);
      pulseTimer = undefined;
    }
  };
  return {
    update(done, total) {
      if (ended) return;
      const t = now();
      // A new step (another total, or counting from the start again): its time estimate starts afresh.
      if (total !== state.total || done < state.done) start = t;
      state = { done, total };
      pulse(total <= 0);
      if (shown && t - lastDraw < intervalMs && !(total > 0 && done >= total)) return;
      lastDraw = t;
      draw();
    },
    interrupt() {
      if (ended || !shown) return;
      term.write('\r\x1b[K');
      shown = false;
    },
    end() {
      if (ended) return;
      ended = true;
      pulse(false);
      term.off('resize', onResize);
      if (shown) term.write('\r\x1b[K');
    },
  };
}
