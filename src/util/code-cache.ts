/**
 * Loading a CommonJS bundle of the CLI (dist/bundle/cli.cjs, worker.cjs) with the
 * V8 code cache that scripts/bundle.js makes beside it: compiling the ~1 MB CLI
 * bundle is a large part of a cold start, and Node 20 has no compile cache of its
 * own (module.enableCompileCache came in 22.1). V8 checks that a cache fits (its
 * version, flags, the source's length) and otherwise compiles the source as
 * usual; the cache's name carries the bundle's hash, so an edited bundle never
 * meets an old cache.
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { timingMark } from './timing-trace.js';

/** Node's CommonJS wrapper; scripts/bundle.js compiles the same text to make the cache. */
export const COMMONJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;

/**
 * require(file), compiled with `cacheFile`'s code cache when there is one and V8
 * takes it; `label` names it in the GUESTKIT_TIMING trace.
 */
export function requireWithCodeCache(file: string, cacheFile: string, label: string): unknown {
  const bytes = readFileSync(file);
  // ASCII (scripts/bundle.js writes the bundles so) decodes as latin1 several times faster than as UTF-8, to the same text.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache (a bundle built without one): compile from the source.
  }
  const script = new Script(COMMONJS_WRAPPER[0] + source + COMMONJS_WRAPPER[1], { filename: file, cachedData });
  timingMark(`${label} compiled (code cache ${!cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used'})`);
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}
