/**
 * vmdk delta disks (snapshots) name their parent in the descriptor's
 * parentFileNameHint. The chain is walked before any extent is opened, with the
 * checks qcow2 chains get (backing-chain.ts): a loop, a missing parent or a
 * chain deeper than MAX_BACKING_DEPTH is one line naming the top disk.
 */
import path from 'node:path';
import { ImageError } from '../../errors/index.js';
import { MAX_BACKING_DEPTH, realOrResolved } from '../backing-chain.js';
import { probeBytes, readImageHead } from '../format.js';
import { ExtentFile } from './extent-file.js';
import { readVmdkHead } from './vmdk-head.js';

/** The parent's path: a relative hint is resolved against the directory of the disk naming it. */
export function parentPath(child: string, hint: string): string {
  return path.isAbsolute(hint) ? hint : path.join(path.dirname(child), hint);
}

export async function checkVmdkChain(file: string, name = file): Promise<void> {
  const shown = [name];
  const seen = new Set([realOrResolved(file)]);
  let current = file;
  let currentName = name;
  for (;;) {
    const f = await ExtentFile.open(currentName, current, null);
    let hint: string | undefined;
    try {
      hint = (await readVmdkHead(f)).descriptor?.parentFileNameHint;
    } catch (e) {
      if (current === file) throw e;
      throw new ImageError(name, `backing file ${(e as Error).message} (named by ${shown[shown.length - 2]})`, { cause: e });
    } finally {
      await f.close();
    }
    if (hint === undefined || hint === '') return;
    const next = parentPath(current, hint);
    shown.push(hint);
    const real = realOrResolved(next);
    if (seen.has(real)) throw new ImageError(name, `backing chain loops: ${shown.join(' → ')}`);
    if (shown.length - 1 > MAX_BACKING_DEPTH) throw new ImageError(name, `backing chain is deeper than ${MAX_BACKING_DEPTH} images (at ${hint})`);
    seen.add(real);
    let head: Uint8Array;
    try {
      head = (await readImageHead(next, hint)).head;
    } catch (e) {
      throw new ImageError(name, `backing file ${(e as Error).message} (named by ${currentName})`, { cause: e });
    }
    if (probeBytes(head) !== 'vmdk') return;
    current = next;
    currentName = hint;
  }
}
