/**
 * vitest's global setup: the CLI tests run the bundled bin (dist/bundle), which
 * esbuild makes from the TypeScript sources in about a second; making it before
 * every run means they never run a bundle older than the sources.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

export default function setup(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.js')], { stdio: 'inherit' });
}
