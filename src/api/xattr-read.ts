/**
 * The wasm backend's side of the xattr reading commands: the fs worker lists an
 * inode's attributes (sorted by name, as getfattr prints them); these shape the
 * answers as the appliance's do.
 */
import { ErrnoError, GuestkitError, NotSupportedError } from '../errors/index.js';
import type { Xattr } from '../fs/fs-driver.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { Impl } from './types.js';

/**
 * The fs worker's xattr list of PATH; a filesystem whose driver does not read
 * xattrs is a NotSupportedError (an auto session then moves to the appliance).
 */
export async function wasmXattrs(backend: WasmBackend, path: string, follow: boolean): Promise<Xattr[]> {
  return notSupportedIfENOTSUP(() => backend.rpc('xattrs', path, follow));
}

/** lxattrlist's per-name lists, as wasmXattrs. */
export async function wasmXattrList(backend: WasmBackend, dir: string, names: string[]): Promise<Xattr[][]> {
  return notSupportedIfENOTSUP(() => backend.rpc('xattrList', dir, names));
}

async function notSupportedIfENOTSUP<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof GuestkitError && e.code === 'ENOTSUP') throw new NotSupportedError(e.message, 'wasm', { cause: e });
    throw e;
  }
}

/** getxattrs / lgetxattrs / lxattrlist entries: the value's bytes as a latin1 string (one char per byte). */
export function wasmXattrStructs(attrs: Xattr[]): { attrname: string; attrval: string }[] {
  return attrs.map((x) => ({ attrname: x.name, attrval: Buffer.from(x.value).toString('latin1') }));
}

/** getxattr (FOLLOW) or lgetxattr: one attribute's value; a missing one is ENODATA as libguestfs words it. */
export function wasmGetxattr(follow: boolean): Impl<WasmBackend> {
  return async (ctx, [path, name]) => {
    const hit = (await wasmXattrs(ctx.backend, path as string, follow)).find((x) => x.name === name);
    if (!hit) throw new ErrnoError('ENODATA', 'getxattr: No data available');
    return hit.value;
  };
}
