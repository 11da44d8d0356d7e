/**
 * Loading an emscripten MODULARIZE build (<name>.cjs + <name>.wasm). The
 * wasm bytes are handed over as `wasmBinary`, so they come from the build
 * directory checked here rather than from emscripten's own file lookup.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type EmscriptenFactory<M> = (opts: Record<string, unknown>) => Promise<M>;

/** What instantiating needs from disk; can be read once and reused. */
export interface EmscriptenBuild<M> {
  factory: EmscriptenFactory<M>;
  wasm: Uint8Array;
}

/**
 * Reads `${name}.cjs` and `${name}.wasm` from `dir`. Throws, with
 * `howToBuild` as the remedy, when they (or any of `alsoNeeded`) are missing.
 */
export function readEmscriptenBuild<M>(
  dir: string,
  name: string,
  howToBuild: string,
  alsoNeeded: string[] = [],
): EmscriptenBuild<M> {
  const js = join(dir, `${name}.cjs`);
  const wasm = join(dir, `${name}.wasm`);
  if (![js, wasm, ...alsoNeeded].every((p) => existsSync(p))) {
    throw new Error(`${name} WASM build not found in ${dir}: ${howToBuild}`);
  }
  const require = createRequire(import.meta.url);
  return { factory: require(js) as EmscriptenFactory<M>, wasm: readFileSync(wasm) };
}

/**
 * A fresh instance, silent (no stdout/stderr), reporting an abort through
 * `onAbort`; `extra` is added to the Module object (e.g. JS hooks a
 * --js-library reads from Module).
 */
export function instantiateEmscripten<M>(
  build: EmscriptenBuild<M>,
  onAbort: (reason: string) => void,
  extra: Record<string, unknown> = {},
): Promise<M> {
  return build.factory({
    wasmBinary: build.wasm,
    ...extra,
    print: () => {},
    printErr: () => {},
    onAbort: (what: unknown) => onAbort(`abort(${String(what)})`),
  });
}
