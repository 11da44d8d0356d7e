/**
 * After a wasm abort or trap the module's heap and C state may be broken,
 * so a module that aborted once refuses every later call instead of running
 * on it.
 */
export class AbortGuard {
  private deadReason: string | undefined;

  /** `what` names the module in errors, e.g. "ext2fs WASM module". */
  constructor(private readonly what: string) {}

  /** Records the first reason; later ones are ignored. */
  markDead(reason: string): void {
    if (this.deadReason === undefined) this.deadReason = reason;
  }

  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  /**
   * Runs one call into the module. A RuntimeError (trap), or any error once
   * onAbort has marked the module dead, marks it dead and is rethrown as
   * "aborted".
   */
  run<T>(fn: () => T): T {
    if (this.deadReason !== undefined) {
      throw new Error(`${this.what} is unusable after an earlier abort: ${this.deadReason}`);
    }
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError || this.deadReason !== undefined) {
        const msg = e instanceof Error ? e.message : String(e);
        this.markDead(msg);
        throw new Error(`${this.what} aborted: ${msg}`, { cause: e });
      }
      throw e;
    }
  }
}
