/**
 * Guestfs.callMany: several calls in order, each settling on its own. Runs of
 * consecutive calls the backend can batch (see dispatch.ts's Batcher) go out as
 * one request; any other call goes through the ordinary wrapper alone, between
 * them, so the order of effects is the order of the calls. Each call's
 * arguments are validated as for a single call, and its error carries the
 * command's name, as a single call's does.
 */
import type { CallItem, CallResult, CommandDef } from '../api/types.js';
import type { Batcher } from './dispatch.js';
import { ErrnoError } from '../errors/index.js';

export interface PreparedCall {
  def: CommandDef;
  args: unknown[];
  optargs: Record<string, unknown>;
}

export interface CallManyHooks {
  /** Finds the command and validates the arguments (throws as a single call would). */
  prepare(call: CallItem): PreparedCall;
  /** A call through the ordinary wrapper. */
  callOne(call: CallItem): Promise<unknown>;
  /** The error as the wrapper gives it for this command. */
  named(error: unknown, def: CommandDef | undefined): unknown;
  /** Called as each batched call starts (the handle's 'enter' event). */
  enter(def: CommandDef): Promise<void>;
  batcher: Batcher | undefined;
}

export async function callMany(calls: readonly CallItem[], hooks: CallManyHooks): Promise<CallResult[]> {
  const results: CallResult[] = new Array(calls.length);
  let stopped = false;
  const notRun = (i: number): CallResult => ({ ok: false, error: new ErrnoError('ECANCELED', 'not run: an earlier call of the batch failed', { command: calls[i]!.name }) });
  const settle = async (i: number) => {
    if (stopped) {
      results[i] = notRun(i);
      return;
    }
    try {
      results[i] = { ok: true, value: await hooks.callOne(calls[i]!) };
    } catch (error) {
      results[i] = { ok: false, error };
      if (calls[i]!.fatal) stopped = true;
    }
  };
  const { batcher } = hooks;
  if (!batcher) {
    for (let i = 0; i < calls.length; i++) await settle(i);
    return results;
  }
  let pending: { index: number; def: CommandDef; step: NonNullable<Awaited<ReturnType<Batcher['step']>>> }[] = [];
  const flush = async () => {
    if (!pending.length) return;
    const group = pending;
    pending = [];
    if (stopped) {
      for (const p of group) results[p.index] = notRun(p.index);
      return;
    }
    for (const p of group) await hooks.enter(p.def);
    let out: CallResult[];
    try {
      out = await batcher.run(group.map((p) => p.step));
    } catch (error) {
      out = group.map(() => ({ ok: false, error }));
    }
    group.forEach((p, k) => {
      const r = out[k]!;
      results[p.index] = r.ok ? r : { ok: false, error: hooks.named(r.error, p.def) };
      if (!r.ok && calls[p.index]!.fatal) stopped = true;
    });
  };
  for (let i = 0; i < calls.length; i++) {
    let prepared: PreparedCall;
    try {
      prepared = hooks.prepare(calls[i]!);
    } catch (error) {
      // as a call that fails: the batch before it goes first, and a fatal one stops the rest
      await flush();
      results[i] = stopped ? notRun(i) : { ok: false, error: hooks.named(error, undefined) };
      if (calls[i]!.fatal) stopped = true;
      continue;
    }
    const step = await batcher.step(prepared.def, prepared.args, prepared.optargs);
    if (step) {
      pending.push({ index: i, def: prepared.def, step: calls[i]!.fatal ? { ...step, fatal: true } : step });
      continue;
    }
    await flush();
    await settle(i);
  }
  await flush();
  return results;
}
