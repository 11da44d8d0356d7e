/**
 * Runs asynchronous operations one at a time, in the order they were queued,
 * whether the ones before them succeeded or failed.
 */
export class SerialQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.last.then(op, op);
    this.last = result.catch(() => undefined);
    return result;
  }
}
