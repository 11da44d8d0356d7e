/**
 * What virt-ls computes: plain names (ls), the guest's ls -la (ll), relative paths
 * (find), or the -lR walk — one bulk readdir per directory, pre-order, names in
 * byte order — that produces one record per file.
 */
import type { Guestfs } from '../../src/core/guestfs.js';
import type { StatResult } from '../../src/fs/vfs.js';
import type { WasmBackend } from '../../src/backend/wasm/wasm-backend.js';
import { byteOrder } from '../../src/util/byte-order.js';
import { ErrnoError } from '../../src/errors/index.js';

export interface FileRecord {
  path: string;
  attr: StatResult;
  link?: string;
  checksum?: string;
}

const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

type DirEntryPlus = { name: string; attr: StatResult; link?: string };

/** Walks DIR, calling `emit` for DIR itself and then every entry below it, in virt-ls -lR order. */
export async function walkTree(g: Guestfs, start: string, checksum: string | undefined, emit: (r: FileRecord) => Promise<void> | void): Promise<void> {
  const backend = g.activeBackend as WasmBackend;
  const dir = start.length > 1 ? start.replace(/\/+$/, '') || '/' : start;
  const stat = await backend.rpc<StatResult>('stat', dir, false);
  const withSum = async (r: FileRecord) => {
    if (checksum && (r.attr.mode & 0o170000) === 0o100000) r.checksum = await g.checksum(checksum, r.path);
    await emit(r);
  };
  await withSum({ path: dir, attr: stat, link: (stat.mode & 0o170000) === 0o120000 ? await g.readlink(dir) : undefined });
  // virt-ls prints a file given as the directory, then fails on listing it.
  if ((stat.mode & 0o170000) !== 0o040000) throw new ErrnoError('ENOTDIR', `${dir}: Not a directory`);
  const visit = async (d: string): Promise<void> => {
    const entries = (await backend.rpc<DirEntryPlus[]>('readdirPlus', d)).sort((a, b) => byteOrder(a.name, b.name));
    for (const e of entries) {
      const path = joinPath(d, e.name);
      await withSum({ path, attr: e.attr, link: e.link });
      if ((e.attr.mode & 0o170000) === 0o040000) await visit(path);
    }
  };
  await visit(dir);
}
