/**
 * qcow2 backing chains, followed in TypeScript before any qemu process is
 * started: a loop (a → b → a, as `qemu-img rebase -u` can make) would hang
 * qemu in the appliance and time out qemu-nbd's handshake, and a missing link
 * would surface as qemu's multi-line complaint. Both, and chains deeper than
 * MAX_BACKING_DEPTH, are refused at once with one line naming the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ImageError } from '../errors/index.js';
import { probeBytes, readImageHead } from './format.js';

/** Deeper chains are refused (qemu itself allows more, but no sane image needs them). */
export const MAX_BACKING_DEPTH = 64;

const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_END = 0;

/** What a qcow2 header says about its backing file. */
export interface BackingRef {
  /** The name as stored in the header. */
  name: string;
  /** The backing format named by the header extension, if any. */
  format?: string;
}

/** Reads the backing file name and format out of a qcow2 header (null: no backing file). */
export function qcow2Backing(head: Uint8Array): BackingRef | null {
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  if (head.length < 72) return null;
  const nameOffset = Number(v.getBigUint64(8));
  const nameLength = v.getUint32(16);
  if (nameOffset === 0 || nameLength === 0) return null;
  if (nameOffset + nameLength > head.length) {
    throw new RangeError(`backing file name at offset ${nameOffset} (length ${nameLength}) lies outside the header`);
  }
  const name = new TextDecoder().decode(head.subarray(nameOffset, nameOffset + nameLength));
  const version = v.getUint32(4);
  let at = version >= 3 && head.length >= 104 ? v.getUint32(100) : 72;
  let format: string | undefined;
  // Header extensions: (type u32, length u32, data padded to 8 bytes), up to an end marker.
  while (at + 8 <= head.length) {
    const type = v.getUint32(at);
    const length = v.getUint32(at + 4);
    if (type === EXT_END || at + 8 + length > head.length) break;
    if (type === EXT_BACKING_FORMAT) format = new TextDecoder().decode(head.subarray(at + 8, at + 8 + length));
    at += 8 + Math.ceil(length / 8) * 8;
  }
  return { name, format };
}

/** Names qemu opens through a protocol driver (nbd:, json:, https://…) rather than as a file. */
function isProtocolName(name: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(name) && !name.startsWith('/');
}

export function realOrResolved(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * Follows the backing chain of a local qcow2 file and refuses loops, missing
 * links and chains deeper than MAX_BACKING_DEPTH with a one-line ImageError
 * naming `name`. Reads only the first KiB of each file in the chain.
 */
export async function checkBackingChain(file: string, name = file): Promise<void> {
  const shown = [name];
  const seen = new Set([realOrResolved(file)]);
  let current = file;
  let head = (await readImageHead(file, name)).head;
  for (;;) {
    if (probeBytes(head) !== 'qcow2') return;
    let ref: BackingRef | null;
    try {
      ref = qcow2Backing(head);
    } catch (e) {
      throw new ImageError(name, `qcow2 image is corrupt: ${(e as Error).message} (in ${current})`, { cause: e });
    }
    if (!ref || isProtocolName(ref.name)) return;
    // qemu resolves a relative backing name against the directory of the image naming it.
    const next = path.isAbsolute(ref.name) ? ref.name : path.join(path.dirname(current), ref.name);
    shown.push(ref.name);
    const real = realOrResolved(next);
    if (seen.has(real)) throw new ImageError(name, `backing chain loops: ${shown.join(' → ')}`);
    if (shown.length - 1 > MAX_BACKING_DEPTH) {
      throw new ImageError(name, `backing chain is deeper than ${MAX_BACKING_DEPTH} images (at ${ref.name})`);
    }
    seen.add(real);
    try {
      head = (await readImageHead(next, ref.name)).head;
    } catch (e) {
      throw new ImageError(name, `backing file ${(e as Error).message} (named by ${current})`, { cause: e });
    }
    if (ref.format !== undefined && ref.format !== 'qcow2') return;
    current = next;
  }
}
