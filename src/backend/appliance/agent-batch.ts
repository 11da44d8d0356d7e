/**
 * Several agent scripts in one request. Under TCG each request costs a round
 * trip plus the agent's own forks (reading the request, capturing, replying),
 * 15-30 ms, so inspection's and sysprep's dozens of small independent questions
 * go out together.
 *
 * Each step runs in its own subshell, in order, with its standard output and
 * error captured to files, exactly as it would run alone (same script, same
 * helpers, empty standard input); one `stat` and one `cat` then send back every
 * step's exit status and output:
 *
 *   line 1: the exit statuses, space-separated
 *   line 2: the byte counts of step 0's stdout, step 0's stderr, step 1's stdout, ...
 *   then those files' bytes, in that order.
 *
 * A failing step fails alone: its reply becomes the error the same script
 * gives when sent by itself (replyError), and later steps still run.
 */
import { GuestkitError } from '../../errors/index.js';
import { replyError, sq, type ApplianceBackend } from './appliance-backend.js';
import type { AgentReply } from './agent-client.js';

/** One agent script and how its standard output becomes the command's result. */
export interface AgentStep<T = unknown> {
  script: string;
  parse(stdout: Buffer): T;
  /** Changes nothing: the same script twice in a batch gives the same reply, so it runs once. */
  readOnly?: boolean;
  /** When it fails, the steps after it do not run (they fail with ECANCELED), as calls awaited in turn would stop. */
  fatal?: boolean;
}

/** The error of a step that did not run (an agent die line). */
export const NOT_RUN = 'ECANCELED not run: an earlier call of the batch failed';

export type StepResult<T = unknown> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs one step as a request of its own (a read-only one answered again from b.readReplies when nothing changed since). */
export async function runStep<T>(b: ApplianceBackend, step: AgentStep<T>): Promise<T> {
  const kept = step.readOnly ? b.readReplies.get(step.script) : undefined;
  if (kept) return step.parse(kept);
  const out = await b.sh(step.script, { readOnly: step.readOnly });
  if (step.readOnly) b.readReplies.set(step.script, out);
  return step.parse(out);
}

/** The batch script: each step in a subshell, then the framed results. */
export function batchScript(steps: readonly AgentStep[]): string {
  const files = steps.map((_, i) => `${i}.o ${i}.e`).join(' ');
  return [
    'B=/tmp/.batch',
    'rm -rf "$B" && mkdir "$B" || exit 1',
    'rc=',
    'stop=',
    ...steps.map((s, i) => `if [ -z "$stop" ]; then (\n${s.script}\n) >"$B/${i}.o" 2>"$B/${i}.e" </dev/null; r=$?
else : >"$B/${i}.o"; echo ${sq(NOT_RUN)} >"$B/${i}.e"; r=1; fi
rc="$rc $r"${s.fatal ? '; [ $r = 0 ] || stop=1' : ''}`),
    'cd "$B" || exit 1',
    'echo $rc',
    `stat -c %s ${files} | tr '\\n' ' '; echo`,
    `cat ${files}`,
    'cd / && rm -rf "$B"',
  ].join('\n');
}

/** Splits the batch's output into each step's reply. */
export function splitBatchOutput(out: Buffer, count: number): AgentReply[] {
  const bad = (what: string) => new GuestkitError('EIO', `agent batch: ${what}`);
  const nl1 = out.indexOf(10);
  const nl2 = nl1 < 0 ? -1 : out.indexOf(10, nl1 + 1);
  if (nl2 < 0) throw bad('no header in the reply');
  const rcs = out.subarray(0, nl1).toString('latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  const sizes = out.subarray(nl1 + 1, nl2).toString('latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  if (rcs.length !== count || sizes.length !== 2 * count || sizes.some((n) => !Number.isInteger(n) || n < 0)) {
    throw bad(`expected ${count} results, got ${rcs.length} statuses and ${sizes.length} sizes`);
  }
  let at = nl2 + 1;
  const take = (n: number) => {
    const b = out.subarray(at, at + n);
    at += n;
    return b;
  };
  const replies = rcs.map((rc, i) => ({ rc, stdout: take(sizes[2 * i]!), stderr: take(sizes[2 * i + 1]!) }));
  if (at !== out.length) throw bad(`${out.length - at} bytes left over in the reply`);
  return replies;
}

/**
 * Runs the steps in one request; each result is the step's value or the error
 * it would have thrown alone. A batch of one is sent as a plain request.
 */
export async function runSteps(b: ApplianceBackend, steps: readonly AgentStep[]): Promise<StepResult[]> {
  if (steps.length === 0) return [];
  if (steps.length === 1) {
    try {
      return [{ ok: true, value: await runStep(b, steps[0]!) }];
    } catch (error) {
      return [{ ok: false, error }];
    }
  }
  // A read-only step whose script already ran earlier in the batch, with no change
  // between (vfs-uuid and vfs-label of one device), takes that reply; so does one
  // answered since the last change (b.readReplies), up to the batch's first change.
  const sent: AgentStep[] = [];
  const slot = new Map<string, number>();
  let changed = false;
  // Each step's reply: one kept from before, or the index of the sent step that answers it.
  const replyOf = steps.map((s): AgentReply | number => {
    const shareable = s.readOnly && !s.fatal;
    const earlier = shareable && !changed ? b.readReplies.get(s.script) : undefined;
    if (earlier) return { rc: 0, stdout: earlier, stderr: Buffer.alloc(0) };
    const seen = shareable ? slot.get(s.script) : undefined;
    if (seen !== undefined) return seen;
    sent.push(s);
    if (shareable) slot.set(s.script, sent.length - 1);
    else {
      slot.clear(); // after a change (or a step that may stop the rest), the same question may have another answer
      changed = true;
    }
    return sent.length - 1;
  });
  const once = sent.length ? splitBatchOutput(await b.sh(batchScript(sent), { readOnly: !changed }), sent.length) : [];
  if (!changed) sent.forEach((s, i) => once[i]!.rc === 0 && b.readReplies.set(s.script, once[i]!.stdout));
  const replies = replyOf.map((k) => (typeof k === 'number' ? once[k]! : k));
  return replies.map((r, i) => {
    if (r.rc !== 0) return { ok: false, error: replyError(r) };
    try {
      return { ok: true, value: steps[i]!.parse(r.stdout) };
    } catch (error) {
      return { ok: false, error };
    }
  });
}
