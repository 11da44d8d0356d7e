/** Counting and printing the upstream-test outcomes, and the known-failure list they are held to. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Outcome, Status } from './harness.js';

export interface Summary {
  counts: Record<Status, number>;
  /** Tests whose commands all exist and that the backend ran: pass + fail. */
  runnable: number;
  /** pass / runnable, in percent (one decimal). */
  passRate: number;
  /** Missing commands, by how many tests each one blocks. */
  missing: [command: string, tests: number][];
}

export function summarise(outcomes: Outcome[]): Summary {
  const counts: Record<Status, number> = { pass: 0, fail: 0, 'unknown-command': 0, unsupported: 0, skipped: 0 };
  const missing = new Map<string, number>();
  for (const o of outcomes) {
    counts[o.status]++;
    if (o.status === 'unknown-command') for (const c of o.reason!.split(' ')) missing.set(c, (missing.get(c) ?? 0) + 1);
  }
  const runnable = counts.pass + counts.fail;
  return {
    counts,
    runnable,
    passRate: runnable ? Math.floor((1000 * counts.pass) / runnable) / 10 : 0,
    missing: [...missing].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  };
}

export function formatReport(backend: string, outcomes: Outcome[], s: Summary, seconds: number): string {
  const lines = [
    `libguestfs per-command tests on the ${backend} backend (${outcomes.length} tests, ${seconds.toFixed(0)} s)`,
    `pass ${s.counts.pass}, fail ${s.counts.fail}, unknown-command ${s.counts['unknown-command']}, unsupported ${s.counts.unsupported}, skipped ${s.counts.skipped}`,
    `pass rate of the tests whose commands all exist: ${s.counts.pass}/${s.runnable} = ${s.passRate}%`,
    '',
    ...outcomes.map((o) => `${o.status.padEnd(15)} ${o.id}${o.ms === undefined ? '' : ` (${o.ms} ms)`}${o.reason ? `  ${o.reason}` : ''}`),
    '',
    'missing commands (tests each blocks):',
    ...s.missing.map(([c, n]) => `  ${c} ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * test/upstream/known-failures.txt: "BACKEND TEST-ID REASON" a line (BACKEND is
 * wasm, appliance or *), # comments. A failure not listed fails the suite.
 */
export function knownFailures(backend: string): Map<string, string> {
  const text = readFileSync(fileURLToPath(new URL('./known-failures.txt', import.meta.url)), 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
    if (!m || line.startsWith('#')) continue;
    if (m[1] === '*' || m[1] === backend) out.set(m[2]!, m[3]!);
  }
  return out;
}

/** test/upstream/floor.json: the pass rate (percent) per backend the suite must not fall below. */
export function passRateFloor(backend: string): number {
  const floors = JSON.parse(readFileSync(fileURLToPath(new URL('./floor.json', import.meta.url)), 'utf8')) as Record<string, number>;
  return floors[backend] ?? 0;
}
