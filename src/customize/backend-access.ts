/**
 * The one place customize looks past the command table: scrub overwrites a
 * file in place, which no table command does (write truncates first).
 */
import type { Guestfs } from '../core/guestfs.js';
import { WasmBackend } from '../backend/wasm/wasm-backend.js';

export function wasmBackend(g: Guestfs): WasmBackend | undefined {
  const b = g.activeBackend;
  return b instanceof WasmBackend ? b : undefined;
}
