/** Opens the disks a tool was given and mounts what -m asked for. */
import { Guestfs } from '../../src/core/guestfs.js';
import { GuestkitError } from '../../src/errors/index.js';
import { guestfsOptions, type DriveOptions } from './drive-options.js';

export async function openGuest(o: DriveOptions, opts: { tool: string; needMounts: boolean; readOnly: boolean }): Promise<Guestfs> {
  if (o.drives.length === 0) {
    throw new GuestkitError('EINVAL', `you must specify at least one -a option (a disk image or NBD URI)`);
  }
  if (o.inspect) {
    throw new GuestkitError('ENOTSUP', 'inspection (-i) is not available yet: say where to mount the guest with -m DEVICE[:MOUNTPOINT]');
  }
  if (opts.needMounts && o.mounts.length === 0) {
    throw new GuestkitError('EINVAL', 'no -m option: inspection is not available yet, so say where to mount the guest with -m DEVICE[:MOUNTPOINT] (e.g. -m /dev/sda1)');
  }
  // Only the -m devices count for auto's choice (df, with none, looks at every filesystem).
  const g = new Guestfs(guestfsOptions(o, { devices: o.mounts.length ? o.mounts.map((m) => m.device) : undefined }));
  try {
    for (const d of o.drives) g.addDrive(d.file, { format: d.format, readonly: opts.readOnly || d.readonly });
    await g.launch();
    for (const m of o.mounts) {
      if (opts.readOnly) await g.mountRo(m.device, m.mountpoint);
      else await g.mount(m.device, m.mountpoint);
    }
    return g;
  } catch (e) {
    await g.close().catch(() => undefined);
    throw e;
  }
}
