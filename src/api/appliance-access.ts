/** Typed access to the appliance backend from command implementations. */
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import { applianceOps, type ApplianceOps } from '../backend/appliance/ops.js';
import type { CallContext, Impl } from './types.js';

export function appliance(ctx: CallContext): ApplianceBackend {
  return ctx.backend as ApplianceBackend;
}

/**
 * An implementation that hands the command's arguments, in order, to one appliance
 * operation; `withOpts` appends optional arguments by name.
 */
export function applianceOp(name: keyof ApplianceOps, withOpts: string[] = []): Impl {
  const op = applianceOps[name] as (b: ApplianceBackend, ...a: unknown[]) => Promise<unknown>;
  return (ctx, args, opt) => op(appliance(ctx), ...args, ...withOpts.map((k) => opt[k]));
}
