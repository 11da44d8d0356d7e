#!/usr/bin/env node
// The command line as a bundle (dist/bundle/): Node loads a few files instead
// of the ~120 modules of dist/tools and dist/src, which is most of a cold start.
// All are CommonJS: a CommonJS main or worker thread starts without setting up
// Node's ESM loader, and loads each file with one synchronous read and one compile.
//   guestkit.cjs   the bin: starts the fs worker, prints --version, requires cli.cjs
//   fs-worker.cjs  spawning the fs worker (one module instance shared by the two above)
//   cli.cjs        every tool (a tool's modules are evaluated only when it runs)
//   worker.cjs     the fs worker thread
// dist/src (tsc) stays what the library exports. Run by `npm run build`, and before
// the tests (test/helpers/bundle-setup.ts), so the CLI tests always run the sources
// as they are: each file is replaced whole (rename), a run in progress never sees half of one.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'bundle');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // sql.js finds its .wasm beside its own file. js-fatfs is bundled in (it is ESM
  // only); fatfs-module.ts still finds fatfs.wasm in the installed package.
  external: ['sql.js'],
  // import.meta.url as the bundle's own URL: the code finds the package root
  // (wasm builds, appliance sources) by walking up from it.
  define: {
    'import.meta.url': '__gkImportMetaUrl',
    // fs-worker.ts starts this file, beside the bundle.
    GUESTKIT_BUNDLED_WORKER: JSON.stringify('./worker.cjs'),
  },
  banner: { js: "const __gkImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // import() of another bundle becomes require(): no ESM loader at all.
  supported: { 'dynamic-import': false },
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

/** Imports of the modules other bundles hold, turned into requires of those bundles. */
function shared(files) {
  return {
    name: 'shared-bundles',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        const file = Object.keys(files).find((f) => args.path.endsWith(`/${f}`));
        return file ? { path: `./${files[file]}`, external: true } : undefined;
      });
    },
  };
}

const builds = [
  { entryPoints: ['tools/guestkit.ts'], outfile: join(outdir, 'guestkit.cjs'), plugins: [shared({ 'cli.js': 'cli.cjs', 'fs-worker.js': 'fs-worker.cjs' })] },
  { entryPoints: ['src/backend/wasm/fs-worker.ts'], outfile: join(outdir, 'fs-worker.cjs') },
  { entryPoints: ['tools/cli.ts'], outfile: join(outdir, 'cli.cjs'), plugins: [shared({ 'fs-worker.js': 'fs-worker.cjs' })] },
  { entryPoints: ['src/backend/wasm/worker.ts'], outfile: join(outdir, 'worker.cjs') },
];
const outputs = (await Promise.all(builds.map((b) => build({ ...common, ...b, write: false })))).flatMap((r) => r.outputFiles);

mkdirSync(outdir, { recursive: true });
const names = new Set(outputs.map((o) => basename(o.path)));
for (const f of readdirSync(outdir)) if (!names.has(f) && !f.endsWith('.tmp')) rmSync(join(outdir, f), { recursive: true, force: true });
for (const o of outputs) {
  const mode = basename(o.path) === 'guestkit.cjs' ? 0o755 : 0o644;
  let same = false;
  try {
    same = readFileSync(o.path).equals(o.contents);
  } catch {
    /* not there yet */
  }
  if (same) continue;
  const tmp = `${o.path}.${process.pid}.tmp`;
  writeFileSync(tmp, o.contents, { mode });
  renameSync(tmp, o.path);
}
