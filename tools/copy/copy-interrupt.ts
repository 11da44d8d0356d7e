/**
 * Ctrl-C during a copy: every request in flight rejects with EINTR as soon as the
 * signal fires, without waiting for a stalled source or destination. One abort
 * listener serves the whole copy: adding and removing an EventTarget listener per
 * request cost 70 ms of a 0.6 s copy of 1 GiB in 2 MiB requests.
 */
import { ErrnoError } from '../../src/errors/index.js';

const interruptedError = () => new ErrnoError('EINTR', 'interrupted', {});

export class CopyInterrupt {
  /** The rejecters of the requests in flight. */
  private readonly pending = new Set<(e: Error) => void>();
  private readonly onAbort = () => {
    for (const reject of this.pending) reject(interruptedError());
    this.pending.clear();
  };

  constructor(private readonly signal?: AbortSignal) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Throws EINTR if the signal has fired. */
  check(): void {
    if (this.signal?.aborted) throw interruptedError();
  }

  /** `p`, or EINTR as soon as the signal fires (p's own later failure then no longer matters). */
  guard<T>(p: Promise<T>): Promise<T> {
    if (!this.signal) return p;
    this.check();
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      p.then(
        (v) => {
          this.pending.delete(reject);
          resolve(v);
        },
        (e: unknown) => {
          this.pending.delete(reject);
          reject(e);
        },
      );
    });
  }

  /** Stops listening (the signal may outlive the copy). */
  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
