/**
 * Named points in the commit path (each journal write, fsync, rename, image
 * write, flush, unlink) where a crash or an I/O error can be injected, so that
 * crash consistency is tested at every write boundary rather than at random
 * sleeps. Set from the environment of the process under test:
 *
 *   GUESTKIT_FAULT=kill@N    the process SIGKILLs itself at the Nth point
 *   GUESTKIT_FAULT=fail@N    the Nth point throws EIO (the commit fails cleanly)
 *   GUESTKIT_FAULT=count@F   each point appends its label to the file F
 *
 * Unset (always, outside tests), a point costs one comparison.
 */
import fs from 'node:fs';
import { ErrnoError } from '../errors/index.js';

interface FaultPlan {
  mode: 'kill' | 'fail' | 'count';
  at: number;
  file: string;
}

function parsePlan(spec: string | undefined): FaultPlan | null {
  if (!spec) return null;
  const m = /^(kill|fail|count)@(.+)$/.exec(spec);
  if (!m) return null;
  const mode = m[1] as FaultPlan['mode'];
  if (mode === 'count') return { mode, at: 0, file: m[2]! };
  const at = Number(m[2]);
  return Number.isSafeInteger(at) && at > 0 ? { mode, at, file: '' } : null;
}

const plan = parsePlan(process.env.GUESTKIT_FAULT);
let reached = 0;

/** Marks one write boundary named `label`; see the module comment. */
export function faultPoint(label: string): void {
  if (!plan) return;
  reached++;
  if (plan.mode === 'count') {
    fs.appendFileSync(plan.file, `${label}\n`);
  } else if (reached === plan.at) {
    if (plan.mode === 'kill') process.kill(process.pid, 'SIGKILL');
    throw new ErrnoError('EIO', `injected I/O error at ${label} (GUESTKIT_FAULT)`);
  }
}
