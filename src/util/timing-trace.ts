/**
 * An opt-in start-up timing trace: with GUESTKIT_TIMING=1 each mark prints
 * "guestkit timing: <ms since the process started> <what>" on stderr. Marks
 * made in a worker thread count from the main thread's start too (the worker
 * is given that origin), so one trace shows where a cold run's time goes.
 */
const enabled = !!process.env.GUESTKIT_TIMING;
// Node's global `performance` is read only when needed: loading it costs ~1 ms, and an
// untimed run needs it only to hand the origin to the fs worker, if it starts one.
let mainOrigin: number | undefined;

export function timingEnabled(): boolean {
  return enabled;
}

/** The main thread's time origin, to hand to a worker (see setTimingOrigin). */
export function timingOrigin(): number {
  return mainOrigin ?? performance.timeOrigin;
}

/** In a worker: count from the main thread's origin instead of the worker's own. */
export function setTimingOrigin(origin: number): void {
  mainOrigin = origin;
}

export function timingMark(what: string): void {
  if (!enabled) return;
  const ms = performance.timeOrigin + performance.now() - timingOrigin();
  process.stderr.write(`guestkit timing: ${ms.toFixed(1)} ms ${what}\n`);
}
