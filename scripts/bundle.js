#!/usr/bin/env node
// The command line as a bundle (dist/bundle/): Node loads a few files instead
// of the ~120 modules of dist/tools and dist/src, which is most of a cold start.
// All are CommonJS: a CommonJS main or worker thread starts without setting up
// Node's ESM loader, and loads each file with one synchronous read and one compile.
//   guestkit.cjs   the bin: starts the fs worker, prints --version, loads cli.cjs
//   fs-worker.cjs  spawning the fs worker (one module instance shared by the two above)
//   cli.cjs        every tool (a tool's modules are evaluated only when it runs)
//   image-tools.cjs  info, copy and serve only (tools/image-tools-cli.ts): their start-up
//                  compiles a fraction of cli.cjs's code (qemu-img and qemu-nbd start in ~10 ms)
//   fish-client.cjs  `fish --remote CMD…` and `fish --listen`'s parent, which need none of cli.cjs
//   cli.<hash>.v8cache  V8's code cache of cli.cjs (src/util/code-cache.ts)
//   image-tools.<tool>.<hash>.v8cache  image-tools.cjs's, one per tool (the launcher picks by argv)
//   worker-boot.cjs  the fs worker thread's entry: loads worker.cjs with its code cache
//   worker.cjs     the fs worker
//   worker.<hash>.v8cache
// dist/src (tsc) stays what the library exports. Run by `npm run build`, and before
// the tests (test/helpers/bundle-setup.ts), so the CLI tests always run the sources
// as they are: each file is replaced whole (rename), a run in progress never sees half of one.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'bundle');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // sql.js and wasmagic find their .wasm beside their own files. js-fatfs is bundled in (it is ESM
  // only); fatfs-module.ts still finds fatfs.wasm in the installed package.
  external: ['sql.js', 'wasmagic'],
  // import.meta.url as the bundle's own URL: the code finds the package root
  // (wasm builds, appliance sources) by walking up from it.
  define: {
    'import.meta.url': '__gkImportMetaUrl',
    // fs-worker.ts starts this file, beside the bundle.
    GUESTKIT_BUNDLED_WORKER: JSON.stringify('./worker-boot.cjs'),
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

/**
 * The launcher's imports of the CLI bundles (cli.js, image-tools-cli.js): requires of
 * cli.cjs and image-tools.cjs, each loaded with its code cache. `bundles` maps the
 * imported file's name to the bundle's name, its timing label and its cache's name, or
 * one cache per tool (keyed by the tool, the command line's first word).
 */
function clisWithCodeCache(bundles) {
  return {
    name: 'clis-with-code-cache',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        const file = Object.keys(bundles).find((f) => args.path.endsWith(`/${f}`));
        return file ? { path: file, namespace: 'clis-with-code-cache' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'clis-with-code-cache' }, (args) => {
        const { bundle, cache, label } = bundles[args.path];
        const cacheFile = typeof cache === 'string' ? JSON.stringify(cache) : `${JSON.stringify(cache)}[process.argv[2]] ?? ''`;
        return {
          resolveDir: join(root, 'src', 'util'),
          loader: 'js',
          contents: `const { join } = require('node:path');
const { requireWithCodeCache } = require('./code-cache.ts');
module.exports = requireWithCodeCache(join(__dirname, ${JSON.stringify(bundle)}), join(__dirname, ${cacheFile}), ${JSON.stringify(label)});`,
        };
      });
    },
  };
}

const parts = [
  { entryPoints: ['src/backend/wasm/fs-worker.ts'], outfile: join(outdir, 'fs-worker.cjs') },
  { entryPoints: ['tools/cli.ts'], outfile: join(outdir, 'cli.cjs'), plugins: [shared({ 'fs-worker.js': 'fs-worker.cjs' })] },
  { entryPoints: ['tools/image-tools-cli.ts'], outfile: join(outdir, 'image-tools.cjs'), plugins: [shared({ 'fs-worker.js': 'fs-worker.cjs' })] },
  { entryPoints: ['src/backend/wasm/worker.ts'], outfile: join(outdir, 'worker.cjs') },
  { entryPoints: ['tools/fish/fish-client.ts'], outfile: join(outdir, 'fish-client.cjs') },
];
/**
 * The text with its non-ASCII characters written as \u escapes. esbuild escapes them in the
 * code (its default charset is ASCII) but keeps comments as they are, and one `→` in a comment
 * makes the whole bundle UTF-8: Node then decodes it ~5x slower than plain ASCII (~4 ms for
 * cli.cjs) and V8 keeps it as a two-byte string. Left over in comments only, an escape there is inert.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
}

/**
 * The text with one namespace object per Node built-in instead of one per import of it. For each
 * `import fs from 'node:fs'` esbuild emits `__toESM(require("node:fs"), 1)`, which copies every
 * property of the module onto a new object: ~25 of them on copy's or serve's path cost 1.5-3 ms.
 * A built-in's exports are complete once required, so one copy serves every importer.
 */
function oneNamespacePerBuiltin(text) {
  let shared = false;
  const out = text.replace(/__toESM\(require\("(node:[a-z0-9_/]+)"\), 1\)/g, (_, id) => {
    shared = true;
    return `__gkBuiltinNamespace(${JSON.stringify(id)})`;
  });
  if (!shared) return text;
  if (!/^var __toESM = /m.test(text)) throw new Error('bundle.js: esbuild\'s __toESM helper is not where expected');
  // A function declaration: hoisted, so appended here it is defined before any module runs.
  return `${out}
function __gkBuiltinNamespace(id) {
  const cache = (__gkBuiltinNamespace.cache ??= new Map());
  let ns = cache.get(id);
  if (ns === undefined) cache.set(id, (ns = __toESM(require(id), 1)));
  return ns;
}
`;
}

/** An esbuild output file made ASCII, its built-ins' namespaces shared. */
function finished(output) {
  const text = Buffer.from(output.contents).toString('utf8');
  return { path: output.path, contents: Buffer.from(asciiOnly(oneNamespacePerBuiltin(text)), 'latin1') };
}

const outputs = (await Promise.all(parts.map((b) => build({ ...common, ...b, write: false })))).flatMap((r) => r.outputFiles).map(finished);
// The code caches, made by a plain `node` (V8 takes a cache only under the flags
// it was made with) from the text code-cache.ts compiles (its COMMONJS_WRAPPER).
// The full CLI's after a run of `guestkit --help`, which loads every tool: its cache then holds
// their compiled code too, not only the bundle's top level. The lean bundle's, one per tool, after
// that tool's own work on a 1 MiB image (IMAGE_TOOL_TRAINING): a cache then holds the functions a
// run compiles (opening the drive, the qcow2 reader and writer, the NBD server), and copy's and
// serve's do not carry info's library (Guestfs and the command table), which V8 would deserialize on
// every start. The worker's right after compiling: its top level runs only inside a worker thread.
const makeCache = `
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');
const [file, out, train] = process.argv.slice(1);
const script = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(file, 'utf8') + '\\n})', { filename: file });
if (train !== '') {
  const cli = { exports: {} };
  script.runInThisContext().call(cli.exports, cli.exports, createRequire(file), cli, file, dirname(file));
  const exit = process.exit;
  process.exit = (status) => {
    writeFileSync(out, script.createCachedData());
    exit(status);
  };
  process.argv = [process.argv[0], 'guestkit', ...JSON.parse(train).map((a) => (a.startsWith('GUESTKIT_TRAIN_') ? process.env[a] : a))];
  cli.exports.runCli();
} else {
  writeFileSync(out, script.createCachedData());
}`;
// Named by the bundle, the V8, the script that made it and its training: a cache is only ever met
// with the code it was made from. `train` is the command line run before the cache is taken.
const cacheOf = (name, train, tool) => {
  const { contents } = outputs.find((o) => basename(o.path) === `${name}.cjs`);
  const hash = createHash('sha256').update(contents).update(process.versions.v8).update(makeCache).update(train).digest('hex').slice(0, 16);
  return { bundle: `${name}.cjs`, train, cache: `${name}.${tool ? `${tool}.` : ''}${hash}.v8cache` };
};
// The lean bundle's tools (tools/image-tool-names.ts, which imports nothing).
const namesModule = await build({ ...common, entryPoints: ['tools/image-tool-names.ts'], format: 'esm', banner: {}, write: false });
const { IMAGE_TOOL_NAMES } = await import(`data:text/javascript,${encodeURIComponent(namesModule.outputFiles[0].text)}`);
// The command line each image tool's cache is taken after; GUESTKIT_TRAIN_* stand for the image files
// (trainingImages), so that the cache's name does not change with their temporary directory.
const IMAGE_TOOL_TRAINING = {
  info: ['info', 'GUESTKIT_TRAIN_QCOW2'],
  copy: ['copy', '-O', 'qcow2', 'GUESTKIT_TRAIN_RAW', 'GUESTKIT_TRAIN_TARGET'],
  serve: ['serve', '--run', 'true', 'GUESTKIT_TRAIN_QCOW2'],
};
const cliCache = cacheOf('cli', JSON.stringify(['--help']));
const imageToolCaches = IMAGE_TOOL_NAMES.map((tool) => {
  if (!IMAGE_TOOL_TRAINING[tool]) throw new Error(`bundle.js: no IMAGE_TOOL_TRAINING for ${tool}`);
  return { tool, ...cacheOf('image-tools', JSON.stringify(IMAGE_TOOL_TRAINING[tool]), tool) };
});
const workerCache = cacheOf('worker', '');
const caches = [cliCache, ...imageToolCaches, workerCache];
const entries = await Promise.all([
  build({
    ...common,
    entryPoints: ['tools/guestkit.ts'],
    outfile: join(outdir, 'guestkit.cjs'),
    plugins: [
      clisWithCodeCache({
        'cli.js': { bundle: 'cli.cjs', cache: cliCache.cache, label: 'cli bundle' },
        'image-tools-cli.js': {
          bundle: 'image-tools.cjs',
          cache: Object.fromEntries(imageToolCaches.map(({ tool, cache }) => [tool, cache])),
          label: 'image tools bundle',
        },
      }),
      shared({ 'fs-worker.js': 'fs-worker.cjs', 'fish-client.js': 'fish-client.cjs' }),
    ],
    write: false,
  }),
  build({
    ...common,
    entryPoints: ['src/backend/wasm/worker-boot.ts'],
    outfile: join(outdir, 'worker-boot.cjs'),
    define: { ...common.define, GUESTKIT_WORKER_CODE_CACHE: JSON.stringify(workerCache.cache) },
    write: false,
  }),
]);
outputs.push(...entries.flatMap((r) => r.outputFiles).map(finished));

// The bin starts as a sh script that runs Node on itself (the second line is sh up to its `//`, and a
// string then a comment to Node): Node is started with NODE_EXTRA_CA_CERTS empty, its value kept in
// GUESTKIT_NODE_EXTRA_CA_CERTS, which tools/launcher-env.ts puts back first thing. Node loads that CA
// bundle at start-up whatever the script (~50 ms of ~85 ms where it is set); guestkit makes no TLS
// connection. `node guestkit.cjs` still works: Node skips the first line and the second is harmless.
const LAUNCHER = `#!/bin/sh
':' //; if [ -n "\${NODE_EXTRA_CA_CERTS-}" ]; then export GUESTKIT_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS=; fi; exec node "$0" "$@"
`;
const entry = outputs.find((o) => basename(o.path) === 'guestkit.cjs');
const entryText = Buffer.from(entry.contents).toString('utf8');
if (!entryText.startsWith('#!')) throw new Error('guestkit.cjs: expected the hashbang line esbuild keeps');
const launched = Buffer.from(LAUNCHER + entryText.slice(entryText.indexOf('\n') + 1));
outputs[outputs.indexOf(entry)] = { path: entry.path, contents: launched };

/** Replaces `path` whole (a rename), unless it holds `contents` already. */
function writeWhole(path, contents, mode = 0o644) {
  try {
    if (readFileSync(path).equals(contents)) return;
  } catch {
    /* not there yet */
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents, { mode });
  renameSync(tmp, path);
}

mkdirSync(outdir, { recursive: true });
const names = new Set([...outputs.map((o) => basename(o.path)), ...caches.map((c) => c.cache)]);
for (const f of readdirSync(outdir)) if (!names.has(f) && !f.endsWith('.tmp')) rmSync(join(outdir, f), { recursive: true, force: true });
for (const o of outputs) writeWhole(o.path, o.contents, basename(o.path) === 'guestkit.cjs' ? 0o755 : 0o644);

/**
 * The images the image tools' training runs work on, in a new temporary directory: 1 MiB raw, half
 * data and half zeroes, and the same as qcow2 (made by the bundle's own copy), as environment
 * variables for IMAGE_TOOL_TRAINING's placeholders.
 */
function trainingImages(dir) {
  const raw = join(dir, 'train.raw');
  const qcow2 = join(dir, 'train.qcow2');
  const image = Buffer.alloc(1 << 20);
  for (let i = 0; i < image.length / 2; i++) image[i] = (i * 7 + (i >> 9)) & 0xff;
  writeFileSync(raw, image);
  execFileSync(process.execPath, [join(outdir, 'guestkit.cjs'), 'copy', '-O', 'qcow2', raw, qcow2], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { GUESTKIT_TRAIN_RAW: raw, GUESTKIT_TRAIN_QCOW2: qcow2, GUESTKIT_TRAIN_TARGET: join(dir, 'target.qcow2') };
}

let trainingDir;
let trainingEnv;
try {
  for (const { bundle, cache, train, tool } of caches) {
    const cachePath = join(outdir, cache);
    if (existsSync(cachePath)) continue;
    const tmp = `${cachePath}.${process.pid}.tmp`;
    const make = (words) => {
      const env = { ...process.env, ...trainingEnv, GUESTKIT_TIMING: '' };
      // A training run that hangs (it reads and serves an image) ends the wait, and falls back to --help.
      execFileSync(process.execPath, ['-e', makeCache, join(outdir, bundle), tmp, words], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 60_000 });
    };
    if (tool) {
      trainingDir ??= mkdtempSync(join(tmpdir(), 'guestkit-train-'));
      trainingEnv ??= trainingImages(trainingDir);
      rmSync(trainingEnv.GUESTKIT_TRAIN_TARGET, { force: true });
      try {
        make(train);
      } catch (e) {
        // A cache is a speed-up, not a part of the build: one taken after --help still serves.
        console.warn(`bundle.js: the ${tool} training run failed (${e.signal ?? `exit status ${e.status}`}); its cache is taken after --help`);
        make(JSON.stringify([tool, '--help']));
      }
    } else {
      make(train);
    }
    renameSync(tmp, cachePath);
  }
} finally {
  if (trainingDir) rmSync(trainingDir, { recursive: true, force: true });
}
