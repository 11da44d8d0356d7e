#!/usr/bin/env node
// The command line as a bundle (dist/bundle/): Node loads one file per entry
// instead of the ~120 modules of dist/tools and dist/src, which is most of a
// cold start. Entries: guestkit.js (the bin) and worker.js (the fs worker, one
// file). The CLI's tools stay lazily loaded: each is a chunk of its own, shared
// code goes into shared chunks. dist/src (tsc) stays what the library exports.
// Run by `npm run build` after tsc.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'bundle');

// Bundled CommonJS (commander) calls require(): give each ESM chunk one.
const requireShim = "import { createRequire as __gkCreateRequire } from 'node:module'; const require = __gkCreateRequire(import.meta.url);";

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Both find their .wasm next to their own files (require.resolve, __dirname).
  external: ['js-fatfs', 'sql.js'],
  banner: { js: requireShim },
  entryNames: '[name]',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

rmSync(outdir, { recursive: true, force: true });
// fs-worker.ts starts new URL('./worker.js', import.meta.url): the worker must sit beside the CLI's chunks.
await build({ ...common, entryPoints: ['tools/guestkit.ts'], outdir, splitting: true });
await build({ ...common, entryPoints: ['src/backend/wasm/worker.ts'], outdir });
chmodSync(join(outdir, 'guestkit.js'), 0o755);
