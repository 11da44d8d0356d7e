/**
 * Opens the disks a tool was given and mounts the guest: what -m asked for, or,
 * with -i (or, for tools that need a guest, no -m at all, as virt-cat/virt-ls do),
 * the OS inspection finds, at its own mountpoints.
 */
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { timingMark } from '../../src/util/timing-trace.js';
import { guestfsOptions, type DriveOptions, type MountSpec } from './drive-options.js';
import { traceCalls } from './trace-calls.js';

export interface OpenGuestOptions {
  tool: string;
  needMounts: boolean;
  readOnly: boolean;
  /** Writes stay in an overlay until g.commit() (tools that write: nothing reaches the image unless all went well). */
  transactional?: boolean;
  /** Commands the tool will call beyond the mounts (for --backend=auto). */
  commands?: readonly string[];
}

export async function openGuest(o: DriveOptions, opts: OpenGuestOptions): Promise<Guestfs> {
  if (o.drives.length === 0) {
    throw new GuestkitError('EINVAL', `you must specify at least one -a option (a disk image or NBD URI)`);
  }
  if (o.inspect && o.mounts.length > 0) {
    throw new GuestkitError('EINVAL', 'cannot use -i and -m together: -i mounts the guest as inspection finds it');
  }
  const inspect = o.inspect || (opts.needMounts && o.mounts.length === 0);
  // Only the -m devices count for auto's choice (df, with none, looks at every filesystem).
  const g = new Guestfs(guestfsOptions(o, {
    devices: o.mounts.length ? o.mounts.map((m) => m.device) : undefined,
    commands: [...mountCommands(o.mounts), ...(opts.commands ?? [])],
    ...(opts.readOnly ? {} : { writes: true }),
  }));
  if (o.trace) traceCalls(g, `guestkit ${opts.tool}`);
  try {
    for (const d of o.drives) {
      const readonly = opts.readOnly || d.readonly;
      g.addDrive(d.file, { format: d.format, locking: d.locking, ...(readonly ? { readonly } : opts.transactional ? { transactional: true } : {}) });
    }
    await g.launch();
    if (inspect) {
      await mountGuest(g, o, opts.tool, opts.readOnly || o.drives.every((d) => d.readonly));
    }
    for (const m of o.mounts) await mountSpec(g, m, opts.readOnly);
    timingMark('guest mounted');
    return g;
  } catch (e) {
    await g.close().catch(() => undefined);
    throw e;
  }
}

/** Inspection-based mounting with the tool's -v and warning conventions. */
export async function mountGuest(g: Guestfs, o: DriveOptions, tool: string, readOnly: boolean): Promise<void> {
  // Inspection's code loads only for the tools and runs that inspect.
  const { inspectAndMount } = await import('../../src/inspect/mount-inspected.js');
  await inspectAndMount(g, {
    readOnly,
    verbose: o.verbose ? (m) => process.stderr.write(`guestkit ${tool}: ${m}\n`) : undefined,
    warn: (m) => process.stderr.write(`guestkit ${tool}: ${m}\n`),
  });
}

/** The commands -m options will run (for --backend=auto): with options or a type, mount-options / mount-vfs. */
export function mountCommands(mounts: MountSpec[]): string[] {
  return mounts.flatMap((m) => (m.fstype !== undefined ? ['mount-vfs'] : m.options !== undefined ? ['mount-options'] : []));
}

/**
 * One -m dev[:mountpoint[:options[:fstype]]]: with options (e.g. subvol=@ for a btrfs
 * subvolume) or a type, mount-options / mount-vfs, as the virt tools do; read-only
 * sessions add "ro" to the options (the virt tools rely on the read-only drive alone).
 */
export async function mountSpec(g: Guestfs, m: MountSpec, readOnly: boolean): Promise<void> {
  if (m.options === undefined && m.fstype === undefined) {
    if (readOnly) await g.mountRo(m.device, m.mountpoint);
    else await g.mount(m.device, m.mountpoint);
    return;
  }
  const options = [m.options, readOnly ? 'ro' : undefined].filter(Boolean).join(',');
  if (m.fstype !== undefined) await g.mountVfs(options, m.fstype, m.device, m.mountpoint);
  else await g.mountOptions(options, m.device, m.mountpoint);
}
