/**
 * The one place that knows which backend is which: given a command and the
 * handle's backend, it picks the implementation written for that backend (or
 * the `any` one) and hands it a context typed for it. Implementations never ask
 * which backend they run on; backend.ts's interface is all the rest of the code sees.
 */
import type { CallContext, CallResult, CommandDef } from '../api/types.js';
import type { AgentStep } from '../backend/appliance/agent-batch.js';
import type { Backend } from '../backend/backend.js';
import { StateError } from '../errors/index.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';

/** The backends there are (a discriminated union on `name`). */
export type KnownBackend = WasmBackend | ApplianceBackend;

/** What every context has besides the backend. */
export type ContextBase = Omit<CallContext, 'backend'>;

/** ctx.backend before launch: any use of it fails loudly instead of reading undefined. */
const NO_BACKEND: Backend = new Proxy({} as Backend, {
  get: (_t, prop) => {
    throw new StateError(`call 'launch' before using the backend (${String(prop)})`);
  },
});

export type BoundImpl = (args: unknown[], optargs: Record<string, unknown>) => Promise<unknown>;

/**
 * The command's implementation for this backend, bound to its context; undefined
 * when it has none. Before launch there is no backend: only `any` implementations
 * (the config commands, which use ctx.handle alone) are found then.
 */
export function implementationFor(def: CommandDef, backend: KnownBackend | undefined, base: ContextBase): BoundImpl | undefined {
  if (!backend) {
    const any = def.impl.any;
    return any ? (args, opt) => any({ ...base, backend: NO_BACKEND }, args, opt) : undefined;
  }
  switch (backend.name) {
    case 'wasm': {
      const f = def.impl.wasm;
      if (f) return (args, opt) => f({ ...base, backend }, args, opt);
      break;
    }
    case 'appliance': {
      const f = def.impl.appliance;
      if (f) return (args, opt) => f({ ...base, backend }, args, opt);
      break;
    }
  }
  const any = def.impl.any;
  return any ? (args, opt) => any({ ...base, backend }, args, opt) : undefined;
}

/** Whether the backend has an implementation of the command. */
export function implementsCommand(def: CommandDef, backend: KnownBackend['name']): boolean {
  return !!(def.impl[backend] ?? def.impl.any);
}

/** What callMany needs from a backend that can send several calls as one request. */
export interface Batcher {
  /** The call as a step of a batch, or undefined when it must be sent alone. */
  step(def: CommandDef, args: unknown[], optargs: Record<string, unknown>): Promise<AgentStep | undefined>;
  /** Runs the steps in one request; each result is the step's value or its own error. */
  run(steps: AgentStep[]): Promise<CallResult[]>;
}

/** The backend's batcher: the appliance sends steps together; the wasm backend runs in process, so it has none. */
export function batcherFor(backend: KnownBackend | undefined): Batcher | undefined {
  if (backend?.name !== 'appliance') return undefined;
  return {
    step: async (def, args, optargs) => def.impl.appliance?.step?.(args, optargs),
    run: async (steps) => (await import('../backend/appliance/agent-batch.js')).runSteps(backend, steps),
  };
}
