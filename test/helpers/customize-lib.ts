/** Runs customize operations through the library on an image with explicit mounts (no inspection). */
import { execFileSync } from 'node:child_process';
import { Guestfs } from '../../src/core/guestfs.js';
import { unknownFacts, type OsFacts } from '../../src/inspect/types.js';
import { applyOption, emptyParsedOps, type ParsedOps } from '../../src/customize/ops.js';
import { runCustomize } from '../../src/customize/run.js';

/** ['--hostname', 'x', '--touch', '/a'] → ParsedOps (flags without argument: a following '--...'). */
export function parseArgs(args: string[]): ParsedOps {
  const parsed = emptyParsedOps();
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.replace(/^--/, '');
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      applyOption(parsed, name, next);
      i++;
    } else applyOption(parsed, name, undefined);
  }
  return parsed;
}

export interface LibRun {
  messages: string[];
  warnings: string[];
  infos: string[];
}

/** Customizes IMAGE (root on `root`, e.g. /dev/sda) transactionally; commits only on success. */
export async function customizeWithLibrary(image: string, args: string[], opts: { root?: string; facts?: Partial<OsFacts>; format?: string } = {}): Promise<LibRun> {
  const root = opts.root ?? '/dev/sda';
  const facts: OsFacts = { ...unknownFacts(root), type: 'linux', distro: 'debian', majorVersion: 12, ...opts.facts };
  const run: LibRun = { messages: [], warnings: [], infos: [] };
  const g = new Guestfs({ backend: 'wasm' });
  try {
    g.addDrive(image, { transactional: true, format: opts.format });
    await g.launch();
    await g.mount(root, '/');
    await runCustomize({ g, facts, message: (m) => run.messages.push(m), warning: (m) => run.warnings.push(m), info: (m) => run.infos.push(m) }, parseArgs(args));
    await g.commit();
  } finally {
    await g.close();
  }
  return run;
}

/** debugfs -R CMD on an ext image (read-only): its standard output. */
export function debugfs(image: string, cmd: string): string {
  return execFileSync('debugfs', ['-R', cmd, image], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });
}
