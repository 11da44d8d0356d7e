/**
 * Node's on-disk compile cache (module.enableCompileCache, Node 22.1 and later):
 * imported first by the CLI's entry and by the fs worker, so the modules loaded
 * after it compile from the cache on the next run. Older Nodes lack it; there the
 * CLI's own code cache (tools/common/code-cache.ts) does part of the same.
 */
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
