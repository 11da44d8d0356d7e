/**
 * The two operations that take their work from the command line: customize
 * (every virt-customize option, run by guestkit customize's code, after all the
 * other filesystem operations) and script (--script programs).
 */
import { ErrnoError } from '../errors/index.js';
import { CustomizeRun } from '../customize/run.js';
import type { SysprepOperation, SysprepSettings } from './operation.js';

export const customizeOperation: SysprepOperation = {
  name: 'customize',
  enabledByDefault: true,
  heading: 'Customize the guest',
  order: 99,
  onFilesystems: async (ctx) => {
    const run = new CustomizeRun(ctx.settings.customize);
    await run.begin(ctx);
    for (const op of ctx.settings.customize.ops) await run.op(ctx, op);
    await run.finish(ctx);
  },
};

/** The refusal of --script, when scripts were given (see scriptOperation). */
export function refuseScripts(settings: SysprepSettings): void {
  if (settings.scripts.length > 0) {
    throw new ErrnoError('ENOTSUP', 'script: --script is not supported: it runs host programs in a mount of the guest on the host, and guestkit never mounts a guest on the host (use --run SCRIPT or --run-command CMD, which run inside the guest in the appliance, or --firstboot SCRIPT for its next boot)');
  }
}

/**
 * virt-sysprep runs --script programs on the host with their current
 * directory in a FUSE mount of the guest. guestkit never mounts a guest on the
 * host, so a --script is refused; without one the operation does nothing, as
 * in virt-sysprep.
 */
export const scriptOperation: SysprepOperation = {
  name: 'script',
  enabledByDefault: true,
  heading: 'Run arbitrary scripts against the guest',
  onFilesystems: async (ctx) => refuseScripts(ctx.settings),
};
