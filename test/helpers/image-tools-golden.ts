/**
 * The goldens of virt-copy-in/-out, virt-tar-in/-out, virt-edit and
 * virt-get-kernel (test/golden/image-tools, made by its capture.sh), and the
 * ways to compare guestkit's results with them: the message of an error
 * (libguestfs's "*stdin*:0: libguestfs: error: MSG" or "virt-X: error: MSG"
 * against guestkit's "guestkit X: error: MSG"), and what landed in a host
 * directory, listed as capture.sh lists it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN } from './fixtures.js';

export const IMAGE_TOOLS = join(GOLDEN, 'image-tools');

export interface ToolGolden {
  out: string;
  err: string;
  rc: number;
  tree?: string;
}

export function toolGolden(name: string): ToolGolden {
  const read = (ext: string) => {
    const f = join(IMAGE_TOOLS, `${name}.${ext}`);
    return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
  };
  const out = read('out');
  if (out === undefined) throw new Error(`no golden ${name} in ${IMAGE_TOOLS} (run its capture.sh)`);
  return { out, err: read('err') ?? '', rc: Number(read('rc') ?? 0), tree: read('tree') };
}

/** The error message of a libguestfs tool's stderr, without the prefixes that name the program. */
export function libguestfsMessage(err: string): string {
  const line = err.split('\n').find((l) => l.trim() !== '') ?? '';
  const message = line.replace(/^\*stdin\*:\d+: /, '').replace(/^(libguestfs|virt-[a-z-]+): error: /, '');
  // The daemon names its calls with underscores (tar_out); guestkit with the fish names (tar-out).
  return message.replace(/^[a-z0-9]+(_[a-z0-9]+)+:/, (m) => m.replace(/_/g, '-'));
}

/** The message of guestkit's one-line error. */
export function guestkitMessage(err: string, tool: string): string {
  return err.replace(/\n$/, '').replace(new RegExp(`^guestkit ${tool}: error: `), '');
}

/** What is below `dir`, one line per entry, as capture.sh lists it (type mode size mtime ./path [-> target]). */
export function hostTree(dir: string): string {
  return execFileSync('sh', ['-c', `cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %p -> %l\\n' | sed 's/\\.0000000000 / /; s/ -> $//' | LC_ALL=C sort`, 'sh', dir], { encoding: 'utf8' });
}
