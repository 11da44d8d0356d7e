/**
 * The two operations that take their work from the command line: customize
 * (every virt-customize option, run by guestkit customize's code, after all the
 * other filesystem operations) and script (--script programs, run in the appliance).
 */
import { readFile } from 'node:fs/promises';
import { ErrnoError, codeOfError } from '../errors/index.js';
import { CustomizeRun } from '../customize/run.js';
import type { SysprepContext, SysprepOperation, SysprepSettings } from './operation.js';

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

/**
 * virt-sysprep runs each --script program on the host, its current directory a
 * FUSE mount of the guest. guestkit never mounts a guest on the host, so each
 * runs inside the appliance instead, its current directory the guest's root
 * (/sysroot there), with the appliance's shell and programs. Without a
 * --script the operation does nothing, as in virt-sysprep.
 */
export const scriptOperation: SysprepOperation = {
  name: 'script',
  enabledByDefault: true,
  heading: 'Run arbitrary scripts against the guest',
  onFilesystems: async (ctx) => {
    for (const [i, file] of ctx.settings.scripts.entries()) await runScript(ctx, file, i);
  },
};

/** The commands the script operation calls when scripts were given (all appliance-only), for the backend choice. */
export function scriptCommands(settings: SysprepSettings): string[] {
  return settings.scripts.length > 0 ? ['debug'] : [];
}

async function runScript(ctx: SysprepContext, file: string, index: number): Promise<void> {
  let program: Buffer;
  try {
    program = await readFile(file);
  } catch (e) {
    throw new ErrnoError(codeOfError(e), `script: ${file}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  // The program travels as base64 (any bytes, no quoting); it is removed again whatever its exit status.
  const at = `/tmp/guestkit-sysprep-script-${index}`;
  const sh = `printf %s '${program.toString('base64')}' | base64 -d > ${at} && chmod 0755 ${at} && cd /sysroot && ${at}; rc=$?; rm -f ${at}; exit $rc`;
  let out: string;
  try {
    out = await ctx.g.debug('sh', [sh]);
  } catch (e) {
    throw new ErrnoError(codeOfError(e), `script: ${file} failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  if (out !== '') ctx.output(`${out}\n`);
}
