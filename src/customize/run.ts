/**
 * Runs parsed customize operations on a mounted guest, in command-line order,
 * as virt-customize does: a random seed (and machine id) first, then each
 * operation with its progress message, passwords all together at the end,
 * then the SELinux relabel and the log file. The first failing operation stops
 * the run; its error names the operation. Nothing here commits: the caller
 * does, once everything succeeded.
 */
import type { BackendCapabilities } from '../backend/capabilities.js';
import { ErrnoError, GuestkitError, formatError } from '../errors/index.js';
import type { CustomizeContext } from './context.js';
import { addFirstbootScript, findSrvany, type FirstbootState } from './firstboot.js';
import { copyIn } from '../copy/copy-in-out.js';
import { cpA, globExpand, lnSf, scrubFile, shQuote, truncateFile, truncateRecursive } from './guest-files.js';
import { setHostname } from './hostname.js';
import { appendLine, scheduleSelinuxRelabel, setMachineIdIfEmpty, setRandomSeed, setTimezone, sshInject } from './linux-settings.js';
import type { Op, ParsedOps } from './ops.js';
import type { PasswordSelector } from './password-selector.js';
import { setLinuxPasswords } from './passwords.js';
import fs from 'node:fs';
import nodePath from 'node:path';

/** The message virt-customize prints before an operation. */
export function opMessage(op: Op): string | undefined {
  switch (op.op) {
    case 'append-line': return `Appending line to ${op.path}`;
    case 'chmod': return `Changing permissions of ${op.path} to ${op.modeText}`;
    case 'chown': return `Changing owner of ${op.path} to ${op.uid}:${op.gid}`;
    case 'copy': return `Copying (in image): ${op.src} to ${op.dest}`;
    case 'copy-in': return `Copying: ${op.local} to ${op.remoteDir}`;
    case 'delete': return `Deleting: ${op.path}`;
    case 'edit': return `Editing: ${op.path}`;
    case 'firstboot': return `Installing firstboot ${op.from}: ${op.name}`;
    case 'hostname': return `Setting the hostname: ${op.hostname}`;
    case 'link': return undefined; // one message per link
    case 'mkdir': return `Making directory: ${op.path}`;
    case 'move': return `Moving: ${op.src} -> ${op.dest}`;
    case 'password': return undefined; // set at the end
    case 'run': return `Running: ${op.display}`;
    case 'scrub': return `Scrubbing: ${op.path}`;
    case 'ssh-inject': return `SSH key inject: ${op.user}`;
    case 'timezone': return `Setting the timezone: ${op.timezone}`;
    case 'touch': return `Running touch: ${op.path}`;
    case 'truncate': return `Truncating: ${op.path}`;
    case 'truncate-recursive': return `Recursively truncating: ${op.path}`;
    case 'upload': return `Uploading: ${op.local} to ${op.dest}`;
    case 'write': return `Writing: ${op.path}`;
  }
}

/** The option an operation came from, for error messages. */
function optionOf(op: Op): string {
  if (op.op === 'firstboot') return op.from === 'command' ? '--firstboot-command' : '--firstboot';
  if (op.op === 'run') return op.from === 'command' ? '--run-command' : '--run';
  if (op.op === 'password') return op.user === 'root' ? '--root-password/--password' : '--password';
  return `--${op.op}`;
}

/** Checks that need the guest's type but not its contents: done before anything is changed. */
export function preflight(parsed: ParsedOps, facts: { type: string }, backend: BackendCapabilities): void {
  for (const op of parsed.ops) {
    if (op.op === 'run' && !backend.runsGuestPrograms) {
      throw new GuestkitError('ENOTSUP', `${optionOf(op)}: running commands in the guest is not supported by the ${backend.backend} backend: use --backend=appliance`);
    }
    if (op.op === 'run' && facts.type !== 'linux') {
      throw new GuestkitError('ENOTSUP', `${optionOf(op)}: commands can only be run in Linux guests (this guest is ${facts.type}): use --firstboot instead`);
    }
    if (op.op === 'firstboot' && facts.type === 'windows') findSrvany();
  }
}

interface RunState {
  passwords: Map<string, PasswordSelector>;
  firstboot: FirstbootState;
  logfile?: string;
}

async function logfilePath(ctx: CustomizeContext): Promise<string> {
  const tmp = ctx.facts.type === 'windows' || ctx.facts.type === 'dos' ? '/Temp' : '/tmp';
  return (await ctx.g.isDir(tmp, { followsymlinks: true })) ? `${tmp}/builder.log` : '/builder.log';
}

/** --run / --run-command: the script inside the guest's root, its output appended to the log file. */
async function runInGuest(ctx: CustomizeContext, state: RunState, script: string): Promise<void> {
  const { g } = ctx;
  state.logfile ??= await logfilePath(ctx);
  const env = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy']
    .filter((n) => process.env[n] !== undefined)
    .map((n) => `export ${n}=${shQuote(process.env[n]!)}`).join('\n');
  try {
    await g.sh(`exec >>${shQuote(state.logfile)} 2>&1\n${env}\n${script}\n`);
  } catch (e) {
    try {
      process.stderr.write(Buffer.from(await g.readFile(state.logfile)));
    } catch {
      // no log to show
    }
    throw new GuestkitError('EIO', 'command exited with an error', { cause: e });
  }
}

async function runOp(ctx: CustomizeContext, state: RunState, op: Op): Promise<void> {
  const { g } = ctx;
  switch (op.op) {
    case 'append-line': return appendLine(ctx, op.path, op.line);
    case 'chmod': return void (await g.chmod(op.mode, op.path));
    case 'chown': return void (await g.chown(op.uid, op.gid, op.path));
    case 'copy': return cpA(g, op.src, op.dest);
    case 'copy-in': return copyIn(g, process.cwd(), [op.local], op.remoteDir); // through tar, as virt-customize's copy_in
    case 'delete':
      for (const p of await globExpand(g, op.path)) await g.rmRf(p);
      return;
    case 'edit': {
      if (!(await g.exists(op.path))) throw new ErrnoError('ENOENT', `${op.path} does not exist in the guest`);
      if (!(await g.isFile(op.path, { followsymlinks: true }))) throw new ErrnoError('EINVAL', `${op.path} is not a regular file in the guest`);
      const before = await g.readFile(op.path);
      const after = op.edit.applyFile(before);
      if (Buffer.compare(Buffer.from(before), Buffer.from(after)) !== 0) await g.write(op.path, after);
      return;
    }
    case 'firstboot': return addFirstbootScript(ctx, state.firstboot, op.name, op.content);
    case 'hostname':
      if (!(await setHostname(ctx, op.hostname))) ctx.warning('hostname could not be set for this type of guest');
      return;
    case 'link':
      for (const l of op.links) {
        ctx.message(`Linking: ${l} -> ${op.target}`);
        await lnSf(g, op.target, l);
      }
      return;
    case 'mkdir': return void (await g.mkdirP(op.path));
    case 'move': return void (await g.mv(op.src, op.dest));
    case 'password':
      if (state.passwords.has(op.user)) {
        throw new ErrnoError('EINVAL', `multiple --root-password/--password options set the password for user '${op.user}' twice`);
      }
      state.passwords.set(op.user, op.selector);
      return;
    case 'run': return runInGuest(ctx, state, op.script);
    case 'scrub': return scrubFile(g, op.path);
    case 'ssh-inject':
      if (ctx.facts.type === 'windows' || (ctx.facts.type === 'unknown' && !(await g.exists('/etc/passwd')))) {
        ctx.warning('SSH key could not be injected for this type of guest');
        return;
      }
      return sshInject(ctx, op.user, op.key);
    case 'timezone':
      if (!(await setTimezone(ctx, op.timezone))) ctx.warning('timezone could not be set for this type of guest');
      return;
    case 'touch': return void (await g.touch(op.path));
    case 'truncate': return truncateFile(g, op.path);
    case 'truncate-recursive': return truncateRecursive(g, op.path);
    case 'upload': {
      const dest = (await g.isDir(op.dest, { followsymlinks: true })) ? `${op.dest.replace(/\/+$/, '')}/${nodePath.basename(op.local)}` : op.dest;
      await g.upload(op.local, dest);
      const st = fs.statSync(op.local);
      await g.chmod(st.mode & 0o7777, dest);
      await g.chown(st.uid, st.gid, dest);
      return;
    }
    case 'write': return void (await g.write(op.path, op.content));
  }
}

/**
 * One customize run, in three steps so that a caller may change handles (and
 * backends) between operations: begin (random seed, machine id), each
 * operation, finish (passwords, SELinux, log file). State such as the
 * passwords and the firstboot script count carries across.
 */
export class CustomizeRun {
  private readonly state: RunState = { passwords: new Map(), firstboot: { count: 0 } };

  constructor(private readonly parsed: ParsedOps) {}

  async begin(ctx: CustomizeContext): Promise<void> {
    ctx.message('Setting a random seed');
    try {
      if (!(await setRandomSeed(ctx))) ctx.warning('random seed could not be set for this type of guest');
      if (ctx.facts.type === 'linux' && (await ctx.g.isFile('/etc/machine-id'))) {
        if (await setMachineIdIfEmpty(ctx)) ctx.message('Setting the machine ID in /etc/machine-id');
      }
    } catch (e) {
      throw wrapText('setting the random seed', e);
    }
  }

  async op(ctx: CustomizeContext, op: Op): Promise<void> {
    const msg = opMessage(op);
    if (msg) ctx.message(msg);
    try {
      await runOp(ctx, this.state, op);
    } catch (e) {
      throw wrap(op, e);
    }
  }

  async finish(ctx: CustomizeContext): Promise<void> {
    const { state, parsed } = this;
    if (state.passwords.size > 0) {
      if (ctx.facts.type === 'linux') {
        ctx.message('Setting passwords');
        try {
          await setLinuxPasswords(ctx, state.passwords, parsed.flags.passwordCrypto ?? 'sha512');
        } catch (e) {
          throw wrapText('--root-password/--password', e);
        }
      } else {
        ctx.warning('passwords could not be set for this type of guest');
      }
    }
    if (!parsed.flags.noSelinuxRelabel && ctx.facts.type === 'linux') {
      if (await scheduleSelinuxRelabel(ctx)) ctx.message('SELinux relabelling');
    }
    if (parsed.flags.scrubLogfile && state.logfile && (await ctx.g.exists(state.logfile))) {
      ctx.message('Scrubbing the log file');
      try {
        await scrubFile(ctx.g, state.logfile);
      } catch {
        await ctx.g.rmF(state.logfile);
      }
    }
  }
}

/** Applies everything on one handle; the first failure is rethrown as "OPTION ARG: message". */
export async function runCustomize(ctx: CustomizeContext, parsed: ParsedOps): Promise<void> {
  const run = new CustomizeRun(parsed);
  await run.begin(ctx);
  for (const op of parsed.ops) await run.op(ctx, op);
  await run.finish(ctx);
}

function describe(op: Op): string {
  switch (op.op) {
    case 'hostname': return op.hostname;
    case 'password': return op.user;
    case 'copy': case 'move': return `${op.src}:${op.dest}`;
    case 'copy-in': return `${op.local}:${op.remoteDir}`;
    case 'upload': return `${op.local}:${op.dest}`;
    case 'chmod': return `${op.modeText}:${op.path}`;
    case 'chown': return `${op.uid}:${op.gid}:${op.path}`;
    case 'link': return [op.target, ...op.links].join(':');
    case 'timezone': return op.timezone;
    case 'ssh-inject': return op.user;
    case 'firstboot': case 'run': return op.op === 'run' ? op.display : op.name;
    default: return op.path;
  }
}

function wrapText(what: string, e: unknown): GuestkitError {
  const code = e instanceof GuestkitError ? e.code : 'EIO';
  return new GuestkitError(code, `${what}: ${formatError(e)}`, { cause: e });
}

function wrap(op: Op, e: unknown): GuestkitError {
  return wrapText(`${optionOf(op)} ${describe(op)}`, e);
}
