/**
 * Moving a launched session from the wasm backend to the appliance, for
 * `--backend=auto` handles that meet a command only the appliance runs after
 * launch decided on wasm (a fish script that reaches `sh` mid-way).
 *
 * What moves: the drives (the same images, reopened by the appliance; writes to
 * read-write drives reach them when the wasm backend shuts down) and the mounts,
 * replayed in the order they were made with their options. What cannot move:
 * writes held only in the wasm backend's overlays (read-only or transactional
 * drives) and open hivex/augeas handles, whose state lives in objects bound to
 * the wasm backend's files; then the command fails as not supported.
 */
import type { Backend } from '../backend/backend.js';

/** A successful mount call, as it was made. */
export interface MountCall {
  command: string;
  args: unknown[];
  optargs: Record<string, unknown>;
}

/** Commands whose last two arguments are mountable and mountpoint. */
const MOUNTS = new Set(['mount', 'mount-ro', 'mount-options', 'mount-vfs']);

/** The mounts in force, in the order they were made, kept from the calls that made and unmade them. */
export class MountLog {
  private calls: MountCall[] = [];

  get entries(): readonly MountCall[] {
    return this.calls;
  }

  /** Called after each successful command. */
  record(command: string, args: unknown[], optargs: Record<string, unknown>): void {
    if (MOUNTS.has(command)) this.calls.push({ command, args, optargs });
    else if (command === 'umount') {
      const target = args[0];
      const i = this.calls.findLastIndex((c) => c.args.at(-1) === target || c.args.at(-2) === target);
      if (i >= 0) this.calls.splice(i, 1);
    } else if (command === 'umount-all' || command === 'shutdown') this.calls = [];
  }

  clear(): void {
    this.calls = [];
  }
}

/**
 * Session families whose state is plain data that means the same in either
 * backend (inspection's facts, keyed by device names). Every other family
 * (hivex, augeas) holds open objects bound to the backend's files.
 */
const PORTABLE_SESSIONS = new Set(['inspect', 'inspect-filesystems', 'journal']);

/** Why the session cannot leave this backend, or undefined when it can. */
export async function unmovableState(backend: Backend, sessions: ReadonlyMap<string, unknown>): Promise<string | undefined> {
  const open = [...sessions.keys()].filter((k) => !PORTABLE_SESSIONS.has(k));
  if (open.length) return `an open ${open.join(' and ')} handle cannot move to the appliance`;
  if (await backend.unsavedWrites?.()) return 'writes held in the overlay of a read-only drive would be lost';
  return undefined;
}
