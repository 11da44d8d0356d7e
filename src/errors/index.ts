/**
 * Typed errors. Every error guestkit raises is a GuestkitError with a `code`
 * (a Linux errno name such as 'ENOENT', or one of guestkit's own codes: the
 * closed list is in codes.ts),
 * an optional `command` (the API call it came from, added once by the call
 * wrapper) and the original `cause`. Messages are one line and never prefixed
 * with the command name: the printer adds it.
 */
import type { GuestkitCode } from './codes.js';

export type { GuestkitCode, ErrnoName } from './codes.js';
export { ERRNO_NAMES, GUESTKIT_CODES, isGuestkitCode, codeOf, codeOfError } from './codes.js';

export interface ErrorDetails {
  cause?: unknown;
  command?: string;
  /** The disk (file or URI) the error is about. */
  disk?: string;
  /** The guest path the error is about. */
  path?: string;
}

export class GuestkitError extends Error {
  readonly code: GuestkitCode;
  command?: string;
  readonly disk?: string;
  readonly path?: string;
  constructor(code: GuestkitCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GuestkitError';
    this.code = code;
    this.command = details.command;
    this.disk = details.disk;
    this.path = details.path;
  }
}

export class NotSupportedError extends GuestkitError {
  constructor(what: string, backend: string, details: ErrorDetails = {}) {
    super('ENOTSUP', `${what}: not supported by the ${backend} backend: use --backend=appliance`, details);
    this.name = 'NotSupportedError';
  }
}

/**
 * A filesystem the wasm backend reads but does not write (xfs), asked to be
 * mounted read-write. An `auto` handle moves to the appliance on it; otherwise
 * it is the error the caller sees.
 */
export class ReadOnlyInWasmError extends GuestkitError {
  constructor(device: string, readonly fsType: string, details: ErrorDetails = {}) {
    super('EROFS', `${device}: ${fsType} filesystems are read-only in the wasm backend: mount it read-only, or use --backend=appliance to write`, details);
    this.name = 'ReadOnlyInWasmError';
  }
}

/**
 * Mount options the wasm backend does not act on, for a filesystem it otherwise
 * reads (only btrfs's subvol=/subvolid= and options that change nothing for a
 * reader are served in process). An `auto` handle moves to the appliance on it.
 */
export class MountOptionsInWasmError extends GuestkitError {
  constructor(device: string, readonly fsType: string, readonly options: string, details: ErrorDetails = {}) {
    super('ENOTSUP', `${device}: mount options "${options}" on ${fsType} are not supported by the wasm backend: use --backend=appliance`, details);
    this.name = 'MountOptionsInWasmError';
  }
}

export class ImageError extends GuestkitError {
  constructor(disk: string, problem: string, details: ErrorDetails = {}) {
    super('EIMAGE', `${disk}: ${problem}`, { ...details, disk });
    this.name = 'ImageError';
  }
}

export class NbdError extends GuestkitError {
  constructor(target: string, problem: string, details: ErrorDetails = {}) {
    super('ENBD', `${target}: ${problem}`, { ...details, disk: target });
    this.name = 'NbdError';
  }
}

export class StateError extends GuestkitError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ESTATE', message, details);
    this.name = 'StateError';
  }
}

/** An errno-style error (ENOENT, EINVAL, ...) from a filesystem or argument check. */
export class ErrnoError extends GuestkitError {
  constructor(errno: GuestkitCode, message: string, details: ErrorDetails = {}) {
    super(errno, message, details);
    this.name = 'ErrnoError';
  }
}

export function isGuestkitError(e: unknown): e is GuestkitError {
  return e instanceof GuestkitError;
}

/** One line for a user: "command: message" (no stack). */
export function formatError(e: unknown): string {
  // Some messages name their command already (NotSupportedError): never say it twice.
  if (e instanceof GuestkitError) return e.command && !e.message.startsWith(`${e.command}: `) ? `${e.command}: ${e.message}` : e.message;
  if (e instanceof Error) return e.message.split('\n')[0] ?? String(e);
  return String(e);
}
