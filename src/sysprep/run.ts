/**
 * One sysprep run on an inspected, mounted guest: the filesystem operations in
 * order (each announced by 'Performing "NAME" ...'), the CA store rebuilt if a
 * certificate went, everything unmounted, then the block device operations.
 * Nothing here commits: the caller does, once everything succeeded.
 */
import { ErrnoError, GuestkitError, formatError } from '../errors/index.js';
import { addFirstbootScript } from '../customize/firstboot.js';
import { DEBIAN_DISTROS, guardHolds, REDHAT_DISTROS, type SysprepContext, type SysprepOperation } from './operation.js';
import { applyGlobRemovals, globRemovals } from './file-actions.js';

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

/**
 * Operations that only remove by glob, without an rm that must succeed, can run
 * together: removing only takes paths away, so expanding a later operation's
 * globs before an earlier one's removals finds the same paths plus some already
 * gone, which its rm-rf (no error) and quiet rm (error ignored) pass over.
 */
const groupable = (op: SysprepOperation) => !!op.globs && !op.onFilesystems && !op.globs.rmStrict?.length;

/** Runs consecutive groupable operations: their globs expanded together, their removals in one batch. */
async function removeByGlobs(ctx: SysprepContext, ops: readonly SysprepOperation[]): Promise<void> {
  for (const op of ops) ctx.message(`Performing "${op.name}" ...`);
  const active = ops.filter((op) => guardHolds(op.globs!.when, ctx.facts));
  let perOp: Awaited<ReturnType<typeof globRemovals>>;
  try {
    perOp = await globRemovals(ctx.g, active.map((op) => op.globs!));
  } catch (e) {
    throw wrap(active[0]!, e);
  }
  const items = perOp.flatMap((removals, i) => removals.map((r) => ({ ...r, op: active[i]! })));
  const results = await ctx.g.callMany(items.map((r) => ({ name: r.name, args: [r.path], fatal: !r.quiet, label: r.op.name })));
  results.forEach((r, i) => {
    if (r.ok || (items[i]!.quiet && r.error instanceof GuestkitError)) return;
    throw wrap(items[i]!.op, r.error);
  });
}

export async function performOnFilesystems(ctx: SysprepContext, ops: readonly SysprepOperation[]): Promise<void> {
  const todo = ops.filter((op) => op.globs || op.onFilesystems);
  for (let i = 0; i < todo.length; ) {
    if (groupable(todo[i]!)) {
      let j = i;
      while (j < todo.length && groupable(todo[j]!)) j++;
      await removeByGlobs(ctx, todo.slice(i, j));
      i = j;
      continue;
    }
    const op = todo[i++]!;
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
