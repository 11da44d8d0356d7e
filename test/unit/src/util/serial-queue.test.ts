/** SerialQueue: one operation at a time, in the order queued, a failure not stopping the ones after it. */
import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../../../src/util/serial-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('SerialQueue', () => {
  it('runs operations one at a time in the order queued, passing results and failures through', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const op = (name: string, fail = false) => async () => {
      running++;
      log.push(`start ${name} (${running} running)`);
      await tick();
      running--;
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([q.run(op('a')), q.run(op('b', true)), q.run(op('c'))]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a (1 running)', 'end a', 'start b (1 running)', 'end b', 'start c (1 running)', 'end c']);
  });
});
