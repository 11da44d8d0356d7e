/**
 * Node built-ins loaded on first use. node:crypto costs 3-4 ms to load and node:zlib
 * ~1.5 ms, and the modules on copy's, serve's and info's start-up path import them
 * for what most runs never reach: an overlay spill file's random name, a cached
 * commit journal's hash, a compressed qcow2 cluster or VMDK grain.
 */
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Zlib from 'node:zlib';

const load = createRequire(import.meta.url);
let crypto: typeof Crypto | undefined;
let zlib: typeof Zlib | undefined;

export function nodeCrypto(): typeof Crypto {
  return (crypto ??= load('node:crypto') as typeof Crypto);
}

export function nodeZlib(): typeof Zlib {
  return (zlib ??= load('node:zlib') as typeof Zlib);
}
