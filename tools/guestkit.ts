#!/usr/bin/env node
/**
 * guestkit's entry point. It starts the fs worker before loading anything else,
 * so that the worker boots while the CLI's own modules load: on a cold process
 * that overlap is a large part of the time to the first answer. Runs that need
 * no worker (--version, a fish --remote client) do not even load its module.
 */
import './launcher-env-restore.js';
import '../src/util/compile-cache.js';
import { timingMark } from '../src/util/timing-trace.js';
import { VERSION } from './version.js';
import { fishFastPath } from './fish/fish-fast-path.js';
import { isImageTool } from './image-tool-names.js';

timingMark('node started, entry module running');
const argv = process.argv.slice(2);
// A `fish --remote` command line and `fish --listen`'s parent need no CLI bundle (fish-fast-path.ts).
const fishFast = fishFastPath(argv, process.env);
const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
// fish flags that answer without a handle: a --remote client, -V, -h, and --listen's parent (its child sets the variable).
const fishWithoutHandle = argv[0] === 'fish' && options.some((a) =>
  a.startsWith('--remote') || a === '-V' || a === '--version' || a === '-h' || a.startsWith('--cmd-help')
  || (a === '--listen' && process.env.GUESTKIT_FISH_LISTENER === undefined));
const wantsWasm = ['cat', 'ls', 'df', 'fish'].includes(argv[0] ?? '')
  && !fishWithoutHandle
  && !argv.some((a) => a === '--help' || a === '--backend=appliance' || a === 'appliance')
  && (process.env.GUESTKIT_BACKEND ?? 'auto') !== 'appliance';
// The CLI is loaded once the worker has been started (its module is not loaded at all when no worker is wanted).
const workerStarted = wantsWasm ? import('../src/backend/wasm/fs-worker.js').then((w) => w.prestartFsWorker()) : Promise.resolve();
// info, copy and serve load the lean bundle of those three (image-tools-cli.ts), a fraction of the full CLI's code to compile.
const loadCli = () => (isImageTool(argv[0]) ? import('./image-tools-cli.js') : import('./cli.js'));
const runCli = () => void workerStarted.then(loadCli).then((cli) => cli.runCli());
// The version alone needs no command line parser: print it as Commander would.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${VERSION}\n`);
// No top-level await here or in cli.ts: the bundle (scripts/bundle.js) is CommonJS.
else if (fishFast) void import('./fish/fish-client.js').then((client) => client.runFishClient(fishFast, runCli));
else runCli();
