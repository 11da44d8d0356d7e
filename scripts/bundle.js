#!/usr/bin/env node
// The command line as a bundle (dist/bundle/): Node loads one file per entry
// instead of the ~120 modules of dist/tools and dist/src, which is most of a
// cold start. Entries: guestkit.js (the bin) and worker.cjs (the fs worker, one
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
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

rmSync(outdir, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: ['tools/guestkit.ts'],
  outdir,
  entryNames: '[name]',
  format: 'esm',
  splitting: true,
  // Both find their .wasm next to their own files (require.resolve, import.meta.url).
  external: ['js-fatfs', 'sql.js'],
  banner: { js: requireShim },
  // fs-worker.ts starts this file, beside the chunk it is bundled into (all chunks sit in outdir).
  define: { GUESTKIT_BUNDLED_WORKER: JSON.stringify('./worker.cjs') },
});
// The fs worker in one CommonJS file: a CommonJS worker thread starts without
// Node's ESM loader. js-fatfs (ESM only) is bundled in; fatfs-module.ts still
// finds fatfs.wasm in the installed package.
await build({
  ...common,
  entryPoints: ['src/backend/wasm/worker.ts'],
  outfile: join(outdir, 'worker.cjs'),
  format: 'cjs',
  define: { 'import.meta.url': '__gkImportMetaUrl' },
  banner: { js: "const __gkImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
chmodSync(join(outdir, 'guestkit.js'), 0o755);
