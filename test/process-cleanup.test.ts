/**
 * The one process-cleanup registry (src/util/process-cleanup.ts): its tasks run
 * on a normal exit and on a signal (which then still ends the process), and its
 * handlers are gone once nothing is registered. Each case runs in a child node
 * process against the build, since it is about process exit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, scratch } from './helpers/fixtures.js';

const REGISTRY = pathToFileURL(join(ROOT, 'dist', 'src', 'util', 'process-cleanup.js')).href;

function runChild(body: string): { status: number | null; signal: NodeJS.Signals | null; out: string } {
  const code = `import { addExitCleanup, removeExitCleanup } from ${JSON.stringify(REGISTRY)};\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, signal: r.signal, out: r.stdout };
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('process cleanup registry', () => {
  it('runs every task on a normal exit', () => {
    const s = scratch();
    cleanup = s.cleanup;
    const a = join(s.dir, 'a'), b = join(s.dir, 'b');
    const r = runChild(`import { writeFileSync } from 'node:fs';
      addExitCleanup(() => writeFileSync(${JSON.stringify(a)}, 'a'));
      addExitCleanup(() => { throw new Error('a failing task does not stop the others'); });
      addExitCleanup(() => writeFileSync(${JSON.stringify(b)}, 'b'));`);
    expect(r.status).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe('a');
    expect(readFileSync(b, 'utf8')).toBe('b');
  });

  it('runs the tasks on SIGTERM and the process still dies of the signal', () => {
    const s = scratch();
    cleanup = s.cleanup;
    const f = join(s.dir, 'f');
    const r = runChild(`import { writeFileSync } from 'node:fs';
      addExitCleanup(() => writeFileSync(${JSON.stringify(f)}, 'done'));
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 10);
      setTimeout(() => {}, 10_000);`);
    expect(r.signal).toBe('SIGTERM');
    expect(readFileSync(f, 'utf8')).toBe('done');
  });

  it('installs no handler while nothing is registered, and a withdrawn task does not run', () => {
    const s = scratch();
    cleanup = s.cleanup;
    const f = join(s.dir, 'f');
    const r = runChild(`import { writeFileSync } from 'node:fs';
      const events = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'];
      const base = events.map((e) => process.listenerCount(e));
      const count = () => events.map((e, i) => process.listenerCount(e) - base[i]).join(',');
      const before = count();
      const task = () => writeFileSync(${JSON.stringify(f)}, 'ran');
      addExitCleanup(task);
      addExitCleanup(task);
      const during = count();
      removeExitCleanup(task);
      console.log(before, during, count());`);
    expect(r.status).toBe(0);
    expect(r.out.trim()).toBe('0,0,0,0 1,1,1,1 0,0,0,0');
    expect(existsSync(f)).toBe(false);
  });
});
