/**
 * Where the WebAssembly builds live: wasm/<name>/build under the guestkit
 * package root, found by walking up from this file, so the same lookup
 * works from src/ (tests, tsx) and from dist/ (the published package).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of guestkit's package.json; `who` prefixes the error. */
export function findPackageRoot(who: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'guestkit') return dir;
      } catch {
        /* not ours; keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`${who}: cannot find the guestkit package root (package.json)`);
    dir = up;
  }
}

/** wasm/<name>/build: the output directory of wasm/<name>/build.sh. */
export function wasmBuildDir(name: string): string {
  return join(findPackageRoot(name), 'wasm', name, 'build');
}
