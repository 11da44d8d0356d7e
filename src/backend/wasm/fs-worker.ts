/**
 * Spawning the fs worker. A CLI can start it first thing (prestartFsWorker) so that
 * the worker's boot and WebAssembly compile overlap the main thread's own start-up;
 * the wasm backend then takes that worker instead of starting one.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createBridgeBuffers, type BridgeBuffers } from './block-bridge.js';
import { timingMark, timingOrigin } from '../../util/timing-trace.js';
import type { WorkerInit } from './worker-protocol.js';

export interface FsWorker {
  worker: Worker;
  buffers: BridgeBuffers;
}

/**
 * The CLI bundle (scripts/bundle.js) defines this as its worker's entry, worker-boot.cjs
 * (which loads worker.cjs with its code cache): a CommonJS worker starts without
 * setting up Node's ESM loader in its thread.
 */
declare const GUESTKIT_BUNDLED_WORKER: string | undefined;

/**
 * The worker's entry. From the build it is worker.js (the bundle's worker-boot.cjs); when
 * running from source (vitest, tsx) a small bootstrap registers tsx in the worker
 * before importing worker.ts.
 */
function workerEntry(): { entry: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (typeof GUESTKIT_BUNDLED_WORKER === 'string') return { entry: new URL(GUESTKIT_BUNDLED_WORKER, here), eval: false };
  if (!here.endsWith('.ts')) return { entry: new URL('./worker.js', here), eval: false };
  // import.meta.resolve is not there under vitest's transform: find tsx's ESM entry by hand.
  const tsxRoot = dirname(createRequire(here).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const worker = new URL('./worker.ts', here).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); })`;
  return { entry: code, eval: true };
}

/** Request id the preload message uses; no caller waits for its answer. */
export const PRELOAD_ID = 0;

function spawn(): FsWorker {
  const buffers = createBridgeBuffers();
  const { entry, eval: isEval } = workerEntry();
  const init: WorkerInit = { bridge: buffers, timeOrigin: timingOrigin() };
  const worker = new Worker(entry, { workerData: init, eval: isEval });
  timingMark('fs worker spawned');
  worker.once('online', () => timingMark('fs worker online'));
  // Compile the filesystem modules now, ahead of the first mount.
  worker.postMessage({ id: PRELOAD_ID, op: 'preload', args: [] });
  return { worker, buffers };
}

let prestarted: FsWorker | undefined;

export function prestartFsWorker(): void {
  if (prestarted) return;
  prestarted = spawn();
  // Not needed after all (a --help, an error): it must not keep the process alive.
  prestarted.worker.unref();
}

export function takeFsWorker(): FsWorker {
  const w = prestarted ?? spawn();
  prestarted = undefined;
  w.worker.ref();
  return w;
}
