/** Typed access to the wasm backend from command implementations. */
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { CallContext } from './types.js';

export function wasm(ctx: CallContext): WasmBackend {
  return ctx.backend as WasmBackend;
}

/** An implementation that forwards its arguments to one fs-worker operation. */
export function workerOp(op: string) {
  return (ctx: CallContext, args: unknown[]) => wasm(ctx).rpc(op, ...args);
}
