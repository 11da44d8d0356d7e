/**
 * The bundled fs worker's entry (scripts/bundle.js makes it dist/bundle/worker-boot.cjs):
 * it loads the worker's bundle, worker.cjs, with the V8 code cache made beside it, so
 * the new thread does not compile the whole of it before its first answer.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { requireWithCodeCache } from '../../util/code-cache.js';
import { setTimingOrigin } from '../../util/timing-trace.js';
import type { WorkerInit } from './worker-protocol.js';

/** The cache's file name, defined by scripts/bundle.js. */
declare const GUESTKIT_WORKER_CODE_CACHE: string;

setTimingOrigin((workerData as WorkerInit).timeOrigin);
const dir = dirname(fileURLToPath(import.meta.url));
requireWithCodeCache(join(dir, 'worker.cjs'), join(dir, GUESTKIT_WORKER_CODE_CACHE), 'fs worker bundle');
