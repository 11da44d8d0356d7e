/**
 * Access to the wasm backend from command implementations. The dispatch hands a
 * `wasm` implementation a CallContext<WasmBackend>, so these only read it: no cast.
 */
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { WorkerOpName } from '../backend/wasm/worker-protocol.js';
import type { CallContext, Impl } from './types.js';

export function wasm(ctx: CallContext<WasmBackend>): WasmBackend {
  return ctx.backend;
}

/** An implementation that forwards the command's arguments, in order, to one fs-worker operation. */
export function workerOp(op: WorkerOpName): Impl<WasmBackend> {
  return (ctx, args) => ctx.backend.rpcUnchecked(op, args);
}

/** What a `wasm` implementation (and the helpers it calls) receives. */
export type WasmContext = CallContext<WasmBackend>;
