/**
 * An error as plain data, to cross a thread (the fs worker, the block bridge) or a
 * process boundary and be rebuilt on the other side with its code, command and
 * whole cause chain. Error objects do not survive structured cloning with their
 * own fields and causes; records do.
 */
import { codeOfError, type GuestkitCode } from './codes.js';
import { ErrnoError, GuestkitError } from './index.js';

export interface ErrorRecord {
  code: GuestkitCode;
  message: string;
  /** The class name the error had ('NbdError', 'FsError', 'Error', ...). */
  name: string;
  command?: string;
  disk?: string;
  path?: string;
  /**
   * Set when the original error object is kept on the side that will rebuild the
   * record (the main thread keeps the host device errors it served to the worker):
   * the rebuild puts that very object back in the chain.
   */
  hostRef?: number;
  cause?: ErrorRecord;
}

/** Where a rebuilt error keeps a host reference it could not resolve (not enumerable). */
const HOST_REF = Symbol('guestkit.hostRef');

/** How deep a cause chain is recorded (a cycle or a runaway chain stops here). */
const MAX_DEPTH = 8;

/**
 * The record of any thrown value. A value that is not a GuestkitError gets its
 * Node errno name when it has a listed one, else `fallback`.
 * `refOf` gives the host reference of an error the rebuilding side keeps.
 */
export function toErrorRecord(e: unknown, fallback: GuestkitCode = 'EIO', refOf?: (e: unknown) => number | undefined, depth = 0): ErrorRecord {
  const err = e instanceof Error ? e : undefined;
  const rec: ErrorRecord = {
    code: codeOfError(e, fallback),
    message: err ? err.message : String(e),
    name: err ? err.name : typeof e,
  };
  if (e instanceof GuestkitError) {
    if (e.command !== undefined) rec.command = e.command;
    if (e.disk !== undefined) rec.disk = e.disk;
    if (e.path !== undefined) rec.path = e.path;
  }
  const ref = refOf?.(e) ?? (e as { [HOST_REF]?: number } | null)?.[HOST_REF];
  if (ref !== undefined) rec.hostRef = ref;
  const cause = err?.cause;
  if (cause !== undefined && depth + 1 < MAX_DEPTH) rec.cause = toErrorRecord(cause, fallback, refOf, depth + 1);
  return rec;
}

/**
 * A GuestkitError from a record, its causes rebuilt as GuestkitErrors too, except
 * where `hostError` gives back the original object for a record's hostRef.
 */
export function fromErrorRecord(rec: ErrorRecord, hostError?: (ref: number) => unknown): GuestkitError {
  const kept = rec.hostRef !== undefined ? hostError?.(rec.hostRef) : undefined;
  if (kept instanceof GuestkitError) return kept;
  // A kept host error that is not a GuestkitError (a Node system error) becomes the cause of its record's rebuild.
  const cause = kept !== undefined ? kept : rec.cause ? fromErrorRecord(rec.cause, hostError) : undefined;
  const err = new ErrnoError(rec.code, rec.message, { cause, command: rec.command, disk: rec.disk, path: rec.path });
  err.name = rec.name;
  // Not resolved here (the worker rebuilding a bridge error): kept for the next record of it.
  if (rec.hostRef !== undefined && kept === undefined) Object.defineProperty(err, HOST_REF, { value: rec.hostRef });
  return err;
}

/** The chain an error carries: the error, its cause, the cause's cause, ... */
export function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cur = e; cur !== undefined && chain.length < MAX_DEPTH * 2; cur = (cur as Error).cause) {
    chain.push(cur);
    if (!(cur instanceof Error)) break;
  }
  return chain;
}
