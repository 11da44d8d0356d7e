/**
 * One sysprep run on an inspected, mounted guest: the filesystem operations in
 * order (each announced by 'Performing "NAME" ...'), the CA store rebuilt if a
 * certificate went, everything unmounted, then the block device operations.
 * Nothing here commits: the caller does, once everything succeeded.
 */
import { ErrnoError, GuestkitError, formatError } from '../errors/index.js';
import { addFirstbootScript } from '../customize/firstboot.js';
import { DEBIAN_DISTROS, REDHAT_DISTROS, type SysprepContext, type SysprepOperation } from './operation.js';
import { applyGlobRemovals } from './file-actions.js';

function wrap(op: SysprepOperation, e: unknown): GuestkitError {
  if (e instanceof GuestkitError && e.message.startsWith(`${op.name}:`)) return e;
  const code = e instanceof GuestkitError ? e.code : 'EIO';
  return new GuestkitError(code, `${op.name}: ${formatError(e)}`, { cause: e });
}

/** The guest command that rebuilds its CA store, or undefined (with a warning) for guests without a known one. */
function caStoreCommand(ctx: SysprepContext): string | undefined {
  const { type, distro } = ctx.facts;
  if (type === 'linux' && REDHAT_DISTROS.includes(distro)) return 'update-ca-trust extract';
  if (type === 'linux' && DEBIAN_DISTROS.includes(distro)) return 'update-ca-certificates';
  ctx.warning(`updating the system CA store on this guest ${type}/${distro} is not supported`);
  return undefined;
}

/** Runs the CA store command in the guest; a guest of another architecture gets it as a firstboot script. */
async function updateSystemCaStore(ctx: SysprepContext): Promise<void> {
  const cmd = caStoreCommand(ctx);
  if (!cmd) return;
  const hostArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  if (ctx.facts.arch !== 'unknown' && ctx.facts.arch !== hostArch) {
    await addFirstbootScript(ctx, { count: 0 }, cmd, cmd);
    return;
  }
  if (!ctx.g.capabilities.runsGuestPrograms) {
    throw new ErrnoError('ENOTSUP', `updating the guest's CA store (${cmd}) after removing certificates is not supported by the wasm backend: use --backend=appliance`);
  }
  await ctx.g.sh(cmd);
}

export async function performOnFilesystems(ctx: SysprepContext, ops: readonly SysprepOperation[]): Promise<void> {
  for (const op of ops) {
    if (!op.globs && !op.onFilesystems) continue;
    ctx.message(`Performing "${op.name}" ...`);
    try {
      if (op.globs) await applyGlobRemovals(ctx, op.globs);
      if (op.onFilesystems) await op.onFilesystems(ctx);
    } catch (e) {
      throw wrap(op, e);
    }
  }
  if (ctx.effects.updateSystemCaStore) await updateSystemCaStore(ctx);
}

export async function performOnDevices(ctx: SysprepContext, ops: readonly SysprepOperation[]): Promise<void> {
  for (const op of ops) {
    if (!op.onDevices) continue;
    ctx.message(`Performing "${op.name}" ...`);
    try {
      await op.onDevices(ctx);
    } catch (e) {
      throw wrap(op, e);
    }
  }
}
