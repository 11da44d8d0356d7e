/**
 * Typed access to the appliance backend from command implementations. The appliance
 * modules load on first use, so the wasm path (most runs) never pays for them.
 */
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import type { ApplianceOps } from '../backend/appliance/ops.js';
import type { CallContext, Impl } from './types.js';

export function appliance(ctx: CallContext): ApplianceBackend {
  return ctx.backend as ApplianceBackend;
}

export async function applianceOps(): Promise<ApplianceOps> {
  return (await import('../backend/appliance/ops.js')).applianceOps;
}

/**
 * An implementation that hands the command's arguments, in order, to one appliance
 * operation; `withOpts` appends optional arguments by name.
 */
export function applianceOp(name: keyof ApplianceOps, withOpts: string[] = []): Impl {
  return async (ctx, args, opt) => {
    const op = (await applianceOps())[name] as (b: ApplianceBackend, ...a: unknown[]) => Promise<unknown>;
    return op(appliance(ctx), ...args, ...withOpts.map((k) => opt[k]));
  };
}
