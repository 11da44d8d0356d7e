/**
 * Access to the appliance backend from command implementations. The dispatch
 * hands an `appliance` implementation a CallContext<ApplianceBackend>, so these
 * only read it: no cast. The appliance modules load on first use, so the wasm
 * path (most runs) never pays for them.
 */
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import type { ApplianceOps } from '../backend/appliance/ops.js';
import type { AgentStep } from '../backend/appliance/agent-batch.js';
import type { ApplianceImpl, CallContext } from './types.js';

export function appliance(ctx: CallContext<ApplianceBackend>): ApplianceBackend {
  return ctx.backend;
}

export async function applianceOps(): Promise<ApplianceOps> {
  return (await import('../backend/appliance/ops.js')).applianceOps;
}

/**
 * An implementation that hands the command's arguments, in order, to one appliance
 * operation; `withOpts` appends optional arguments by name.
 */
export function applianceOp(name: keyof ApplianceOps, withOpts: string[] = []): ApplianceImpl {
  const impl: ApplianceImpl = async (ctx, args, opt) => {
    const op = (await applianceOps())[name] as (b: ApplianceBackend, ...a: unknown[]) => Promise<unknown>;
    return op(ctx.backend, ...args, ...withOpts.map((k) => opt[k]));
  };
  impl.step = stepOf(name, withOpts);
  return impl;
}

/**
 * The step (one agent script, see agent-batch.ts) of an operation that has one,
 * with the same arguments as the operation: what Guestfs.callMany batches.
 */
export function stepOf(name: string, withOpts: string[] = []): NonNullable<ApplianceImpl['step']> {
  return async (args, opt) => {
    const { applianceSteps } = await import('../backend/appliance/ops-steps.js');
    const build = (applianceSteps as Record<string, ((...a: unknown[]) => AgentStep) | undefined>)[name];
    return build?.(...args, ...withOpts.map((k) => opt[k]));
  };
}

/** What an `appliance` implementation (and the helpers it calls) receives. */
export type ApplianceContext = CallContext<ApplianceBackend>;
