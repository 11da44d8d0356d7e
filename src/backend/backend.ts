/**
 * The one interface every backend implements. Commands reach a backend through
 * their per-backend implementation in the command table; this interface holds
 * only what the handle itself needs: launching, shutting down, and what the
 * backend can do.
 */
export interface DriveConfig {
  /** Local path or NBD URI. */
  file: string;
  format?: string;
  readonly: boolean;
  /**
   * Writes go to a copy-on-write overlay and reach the image only when the
   * backend's commit() is called (customize's atomic mode). The image is opened
   * read-only until then.
   */
  transactional?: boolean;
  /** false: take no qemu image locks, and write even though another process's say it uses the image (--no-lock). */
  locking?: boolean;
}

import type { BackendCapabilities } from './capabilities.js';

export type BackendName = 'wasm' | 'appliance';

export interface Backend {
  readonly name: BackendName;
  /** What it can do (filesystems, guest programs): see capabilities.ts. */
  readonly capabilities: BackendCapabilities;
  launch(drives: DriveConfig[]): Promise<void>;
  /** Flushes and unmounts everything, then releases drives and helpers. Safe to call twice. */
  shutdown(): Promise<void>;
  /**
   * For transactional drives: unmounts everything (so every filesystem has written
   * its state) and writes the overlays through to the images, fsync'd. Ends the
   * session (the appliance shuts down to flush its overlays).
   */
  commit(): Promise<void>;
  /**
   * Whether the session holds writes that exist only inside this backend (an
   * overlay in memory) and would be lost if it shut down now. A backend whose
   * writes all reach the images on shutdown answers false.
   */
  unsavedWrites?(): Promise<boolean>;
}

/** Device name for the Nth drive (0 → /dev/sda, 25 → /dev/sdz, 26 → /dev/sdaa), as libguestfs names them. */
export function driveName(index: number): string {
  let s = '';
  let n = index;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `/dev/sd${s}`;
}
