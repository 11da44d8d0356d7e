/**
 * SIGINT/SIGTERM during a tool that writes (customize, edit, copy-in, tar-in). Before the commit a signal abandons the run:
 * nothing has reached the image (writes are in an overlay), so the process
 * simply leaves, and the exit hooks of qemu-nbd/qemu/overlays clean up. During
 * the commit the signal is held back until the commit finished, so an image is
 * never left half-committed; the process then leaves with the signal's status.
 * A standard output closed during the commit is likewise held back.
 */
import { holdingClosedOutput } from './closed-output.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type Sig = (typeof SIGNALS)[number];
const STATUS: Record<Sig, number> = { SIGINT: 130, SIGTERM: 143 };

export class SignalGuard {
  private pending: Sig | undefined;
  private committing = false;
  private saved = new Map<Sig, ((...a: unknown[]) => void)[]>();
  private readonly handler = (sig: Sig) => this.onSignal(sig);

  constructor(private readonly say: (line: string) => void) {
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  private onSignal(sig: Sig): void {
    if (this.committing) {
      if (!this.pending) this.say(`${sig} received: finishing the commit first`);
      this.pending = sig;
      return;
    }
    this.say(`interrupted (${sig}): the image was not changed`);
    process.exit(STATUS[sig]);
  }

  /**
   * Runs the commit with every other SIGINT/SIGTERM listener set aside (helpers'
   * listeners would stop qemu-nbd under the commit), then honours a held signal.
   */
  async commit(fn: () => Promise<void>): Promise<void> {
    this.committing = true;
    for (const s of SIGNALS) {
      const others = process.listeners(s).filter((l) => l !== this.handler) as ((...a: unknown[]) => void)[];
      this.saved.set(s, others);
      for (const l of others) process.off(s, l);
    }
    try {
      await holdingClosedOutput(fn);
    } finally {
      this.committing = false;
      for (const s of SIGNALS) for (const l of this.saved.get(s) ?? []) process.on(s, l);
      this.saved.clear();
    }
    if (this.pending) {
      this.say(`interrupted (${this.pending}) after the commit: the image has every change`);
      process.exit(STATUS[this.pending]);
    }
  }

  dispose(): void {
    for (const s of SIGNALS) process.off(s, this.handler);
  }
}
