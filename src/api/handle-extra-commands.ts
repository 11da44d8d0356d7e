/**
 * Handle-level commands that need no guest data: the daemon's umask, scratch
 * drives, the drive limit, the appliance search path, extra qemu parameters,
 * the environment parser, glob-expand, the libvirt credential calls, and the
 * debugging and cancelling calls, with libguestfs 1.48's names and messages.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, ftruncateSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ErrnoError, GuestkitError } from '../errors/index.js';
import { expandGlob } from './guest-glob.js';
import { defineCommand, type CallContext } from './types.js';
import { wasm } from './wasm-access.js';
import { appliance } from './appliance-access.js';

/** C's %#o, as libguestfs prints a mask in its messages (a negative one as its unsigned 32-bit value). */
const octal = (n: number) => `0${(n >>> 0).toString(8)}`;

export const umask = defineCommand({
  name: 'umask',
  args: [{ name: 'mask', kind: 'Int' }],
  ret: 'int',
  fishOutput: 'octal',
  shortdesc: 'set file mode creation mask (umask)',
  longdesc: `Sets the mask (0 to 0777) taken from the modes of the files, directories and device nodes
made afterwards (touch, write, upload, mkdir, mkdir-mode, mknod...), on either backend, and returns the
previous one. The default is 022, so new files are 0644 and directories 0755.`,
  examples: ['umask 077'],
  impl: {
    wasm: async (ctx, [mask]) => wasm(ctx).rpc('umask', checkMask(mask)),
    appliance: async (ctx, [mask]) => {
      const m = checkMask(mask).toString(8);
      // Each agent script runs in a new subshell: the agent applies /run/umask before every one.
      return parseInt((await appliance(ctx).shText(`umask\necho ${m} > /run/umask`)).trim(), 8);
    },
  },
});

function checkMask(mask: number): number {
  if (mask < 0 || mask > 0o777) throw new ErrnoError('EINVAL', `${octal(mask)}: mask negative or out of range`);
  return mask;
}

export const getUmask = defineCommand({
  name: 'get-umask',
  args: [],
  ret: 'int',
  fishOutput: 'octal',
  shortdesc: 'get the current umask',
  longdesc: 'Returns the current umask: 022 unless it was set with umask.',
  examples: ['get-umask'],
  impl: {
    wasm: async (ctx) => wasm(ctx).rpc('umask'),
    appliance: async (ctx) => parseInt((await appliance(ctx).shText('umask')).trim(), 8),
  },
});

/** Scratch files to remove when the handle closes, per handle. */
const scratchFiles = new WeakMap<object, string[]>();

export const addDriveScratch = defineCommand({
  name: 'add-drive-scratch',
  aliases: ['scratch'],
  args: [{ name: 'size', kind: 'Int64' }],
  optargs: [{ name: 'name', kind: 'String' }, { name: 'label', kind: 'String' }, { name: 'blocksize', kind: 'Int' }],
  ret: 'void',
  phase: 'config',
  shortdesc: 'add a temporary scratch drive',
  longdesc: `Adds a blank drive of size bytes: a sparse raw file in the handle's tmpdir (reads give zeros
until written), deleted when the handle is closed. name, label and blocksize are those of add-drive;
guestkit has no use for them and refuses them rather than ignore them.`,
  examples: ['add-drive-scratch 104857600'],
  impl: {
    any: async (ctx, [size], opt) => {
      for (const k of ['name', 'label', 'blocksize']) {
        if (opt[k] !== undefined) throw new ErrnoError('ENOTSUP', `${k}: this add-drive option is not supported by guestkit`);
      }
      if (size <= 0) throw new ErrnoError('EINVAL', `${size}: the scratch drive's size must be positive`);
      const file = join(ctx.handle.settings.tmpdir, `guestkit-scratch-${randomBytes(8).toString('hex')}.img`);
      const fd = openSync(file, 'wx', 0o600);
      try {
        ftruncateSync(fd, size);
      } finally {
        closeSync(fd);
      }
      let files = scratchFiles.get(ctx.handle);
      if (!files) {
        const list: string[] = (files = []);
        scratchFiles.set(ctx.handle, list);
        ctx.handle.onClose(() => {
          for (const f of list.splice(0)) rmSync(f, { force: true });
        });
      }
      files.push(file);
      try {
        ctx.handle.addDrive(file, { format: 'raw' });
      } catch (e) {
        rmSync(file, { force: true });
        throw e;
      }
    },
  },
});

/** The appliance gives its qemu microvm 24 virtio-mmio slots: one is the agent's virtio-serial port. */
const MAX_DISKS = 23;

export const maxDisks = defineCommand({
  name: 'max-disks',
  args: [],
  ret: 'int',
  phase: 'any',
  shortdesc: 'maximum number of disks that may be added',
  longdesc: `The most drives a handle can use on every backend: ${MAX_DISKS}, the appliance's limit (qemu's
microvm has 24 virtio-mmio slots and the agent's port takes one). The wasm backend has no lower one.`,
  examples: ['max-disks'],
  impl: { any: async () => MAX_DISKS },
});

async function defaultPath(): Promise<string> {
  return (await import('../backend/appliance/build.js')).applianceSourceDir();
}

export const getPath = defineCommand({
  name: 'get-path',
  args: [],
  ret: 'string',
  phase: 'any',
  shortdesc: 'get the search path',
  longdesc: `Where the appliance's sources (init, agent.sh, binaries.txt, modules.txt) are read from when it is
built: the path set with set-path, else the appliance/ directory of the guestkit package.`,
  examples: ['get-path'],
  impl: { any: async (ctx) => ctx.handle.settings.path ?? (await defaultPath()) },
});

export const setPath = defineCommand({
  name: 'set-path',
  aliases: ['path'],
  args: [{ name: 'searchpath', kind: 'String' }],
  ret: 'void',
  phase: 'any',
  shortdesc: 'set the search path',
  longdesc: `Sets the directory the appliance's sources are read from at the next launch (libguestfs:
where its appliance is found; LIBGUESTFS_PATH sets it too). An empty string restores the default.`,
  examples: ['set-path /opt/guestkit/appliance'],
  impl: { any: async (ctx, [p]) => { ctx.handle.settings.path = p === '' ? null : p; } },
});

/** Parameters guestkit's own qemu command line sets: another value would break the appliance. */
const RESERVED_QEMU_PARAMS = new Set(['-kernel', '-initrd', '-nographic', '-display', '-serial', '-full-screen', '-std-vga', '-vnc']);

export const config = defineCommand({
  name: 'config',
  args: [{ name: 'hvparam', kind: 'String' }, { name: 'hvvalue', kind: 'OptString' }],
  ret: 'void',
  phase: 'config',
  shortdesc: 'add hypervisor parameters',
  longdesc: `Adds "hvparam hvvalue" (or hvparam alone when hvvalue is NULL) to the appliance's qemu command
line, after guestkit's own parameters. Those that would break the appliance (-kernel, -initrd,
-nographic, -display, -serial, -full-screen, -std-vga, -vnc) are refused. The wasm backend runs no qemu.`,
  examples: ['config -cpu host', 'config -no-hpet NULL'],
  impl: {
    any: async (ctx, [param, value]) => {
      if (RESERVED_QEMU_PARAMS.has(param)) throw new ErrnoError('EINVAL', `parameter ‘${param}’ isn't allowed`);
      ctx.handle.settings.qemuParams.push([param, value]);
    },
  },
});

/** libguestfs's reading of a boolean environment value. */
function envBool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off'].includes(v)) return false;
  throw new ErrnoError('EINVAL', `could not parse ${name}=${value}: expected a boolean`);
}

/** Applies the LIBGUESTFS_* variables (and TMPDIR) of an environment to the handle, as libguestfs's create does. */
async function applyEnvironment(ctx: CallContext, env: Map<string, string>): Promise<void> {
  const set = (cmd: string, v: unknown) => ctx.call(cmd, [v]);
  const get = (k: string) => env.get(k);
  if (get('LIBGUESTFS_TRACE') !== undefined) await set('set-trace', envBool('LIBGUESTFS_TRACE', get('LIBGUESTFS_TRACE')!));
  if (get('LIBGUESTFS_DEBUG') !== undefined) await set('set-verbose', envBool('LIBGUESTFS_DEBUG', get('LIBGUESTFS_DEBUG')!));
  const tmp = get('LIBGUESTFS_TMPDIR') ?? get('TMPDIR');
  if (tmp !== undefined) await set('set-tmpdir', tmp);
  if (get('LIBGUESTFS_CACHEDIR') !== undefined) await set('set-cachedir', get('LIBGUESTFS_CACHEDIR'));
  if (get('LIBGUESTFS_PATH') !== undefined) await set('set-path', get('LIBGUESTFS_PATH'));
  const hv = get('LIBGUESTFS_HV') ?? get('LIBGUESTFS_QEMU');
  if (hv !== undefined) await set('set-hv', hv);
  if (get('LIBGUESTFS_APPEND') !== undefined) await set('set-append', get('LIBGUESTFS_APPEND'));
  const mem = get('LIBGUESTFS_MEMSIZE');
  if (mem !== undefined) {
    const n = /^\d+$/.test(mem) ? Number(mem) : NaN;
    if (!(n >= 128)) throw new ErrnoError('EINVAL', `non-numeric or too small value for LIBGUESTFS_MEMSIZE`);
    await set('set-memsize', n);
  }
  const backend = get('LIBGUESTFS_BACKEND') ?? get('LIBGUESTFS_ATTACH_METHOD');
  if (backend !== undefined) await set('set-backend', backend);
  const bs = get('LIBGUESTFS_BACKEND_SETTINGS');
  if (bs !== undefined) await set('set-backend-settings', bs.split(':').filter(Boolean));
}

export const parseEnvironment = defineCommand({
  name: 'parse-environment',
  args: [],
  ret: 'void',
  phase: 'any',
  shortdesc: 'parse the environment and set handle flags accordingly',
  longdesc: `Reads the program's environment and sets the handle from it: LIBGUESTFS_TRACE (set-trace),
LIBGUESTFS_DEBUG (set-verbose), LIBGUESTFS_TMPDIR or TMPDIR, LIBGUESTFS_CACHEDIR, LIBGUESTFS_PATH,
LIBGUESTFS_HV (or LIBGUESTFS_QEMU), LIBGUESTFS_APPEND, LIBGUESTFS_MEMSIZE, LIBGUESTFS_BACKEND (or
LIBGUESTFS_ATTACH_METHOD) and LIBGUESTFS_BACKEND_SETTINGS (colon-separated). Unset variables change nothing.`,
  examples: ['parse-environment'],
  impl: { any: async (ctx) => applyEnvironment(ctx, new Map(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))) },
});

export const parseEnvironmentList = defineCommand({
  name: 'parse-environment-list',
  args: [{ name: 'environment', kind: 'StringList' }],
  ret: 'void',
  phase: 'any',
  shortdesc: 'parse the environment and set handle flags accordingly',
  longdesc: 'As parse-environment, from the "NAME=value" strings given instead of the program\'s environment.',
  examples: ['parse-environment-list "LIBGUESTFS_DEBUG=1 LIBGUESTFS_MEMSIZE=1024"'],
  impl: {
    any: async (ctx, [list]) => {
      const env = new Map<string, string>();
      for (const s of list) {
        const i = s.indexOf('=');
        if (i > 0) env.set(s.slice(0, i), s.slice(i + 1));
      }
      return applyEnvironment(ctx, env);
    },
  },
});

export const globExpand = defineCommand({
  name: 'glob-expand',
  aliases: ['glob-expand-opts'],
  args: [{ name: 'pattern', kind: 'Pathname' }],
  optargs: [{ name: 'directoryslash', kind: 'Bool' }],
  ret: 'strings',
  shortdesc: 'expand a wildcard path',
  longdesc: `Returns the guest paths that match the pattern, as glob(3) with GLOB_MARK|GLOB_BRACE: *, ? and
[...] wildcards, {a,b} alternatives (in the order written), each alternative's matches sorted, and a
trailing '/' on directories unless directoryslash:false. No match is an empty list, not an error.
Device names are not expanded (use list-devices).`,
  examples: ['glob-expand /etc/*.conf', 'glob-expand /home/* directoryslash:false'],
  impl: { any: async (ctx, [pattern], o) => expandGlob(ctx, pattern, o.directoryslash ?? true) },
});

export const userCancel = defineCommand({
  name: 'user-cancel',
  args: [],
  ret: 'void',
  phase: 'any',
  shortdesc: 'cancel the current upload or download operation',
  longdesc: `Asks the upload or download in progress on this handle to stop; it fails with EINTR at its next
chunk. With none in progress (always the case between fish commands) it does nothing.`,
  examples: ['user-cancel'],
  impl: { any: async (ctx) => { ctx.handle.cancelTransfer(); } },
});

export const cPointer = defineCommand({
  name: 'c-pointer',
  args: [],
  ret: 'int64',
  phase: 'any',
  shortdesc: 'return the C pointer to the guestfs_h handle',
  longdesc: `libguestfs returns the address of its C handle, for other C libraries to share. A guestkit
handle is a JavaScript object with no C handle behind it, so this fails (ENOTSUP) rather than
return a number no library could use.`,
  examples: ['c-pointer'],
  impl: {
    any: async () => {
      throw new ErrnoError('ENOTSUP', 'guestkit handles are JavaScript objects: there is no C guestfs_h pointer to return');
    },
  },
});

export const debugDrives = defineCommand({
  name: 'debug-drives',
  args: [],
  ret: 'strings',
  phase: 'any',
  shortdesc: 'debug the drives (internal use only)',
  longdesc: 'One line per drive added, as libguestfs prints its drive list: the file, "readonly", "format=" and the protocol.',
  examples: ['debug-drives'],
  impl: {
    any: async (ctx) => ctx.handle.drives.map((d) =>
      `${d.file}${d.readonly ? ' readonly' : ''}${d.format ? ` format=${d.format}` : ''} protocol=${/^nbd(\+\w+)?:\/\//.test(d.file) ? 'nbd' : 'file'}`),
  },
});

const CREDENTIAL_TYPES = ['username', 'authname', 'language', 'cnonce', 'passphrase', 'echoprompt', 'noechoprompt', 'realm', 'external'];

export const setLibvirtSupportedCredentials = defineCommand({
  name: 'set-libvirt-supported-credentials',
  args: [{ name: 'creds', kind: 'StringList' }],
  ret: 'void',
  phase: 'any',
  shortdesc: 'set libvirt credentials supported by calling program',
  longdesc: `Records the libvirt credential types the program can answer (${CREDENTIAL_TYPES.join(', ')}), for
a libvirt_auth event during add-domain. guestkit opens no libvirt connection yet, so no such event is raised.`,
  examples: ['set-libvirt-supported-credentials "username passphrase"'],
  impl: {
    any: async (ctx, [creds]) => {
      for (const c of creds) if (!CREDENTIAL_TYPES.includes(c)) throw new ErrnoError('EINVAL', `unknown credential type ‘${c}’`);
      ctx.handle.settings.libvirtSupportedCredentials = [...creds];
    },
  },
});

/** The credential calls only mean something inside a libvirt_auth event handler, which guestkit never runs. */
function outsideAuthEvent(fn: string): never {
  throw new GuestkitError('EINVAL', `guestfs_impl_${fn} should only be called from within the GUESTFS_EVENT_LIBVIRT_AUTH event handler`);
}

const credentialCall = <N extends string, R extends 'strings' | 'string' | 'void'>(name: N, ret: R, args: readonly { name: string; kind: 'Int' | 'BufferIn' }[], shortdesc: string, example: string) =>
  defineCommand({
    name,
    args,
    ret,
    phase: 'any' as const,
    shortdesc,
    longdesc: `Only valid inside a libvirt_auth event handler (see set-libvirt-supported-credentials); elsewhere it
fails as libguestfs does. guestkit raises no libvirt_auth event, so it always fails.`,
    examples: [example],
    impl: { any: async () => outsideAuthEvent(name.replace(/-/g, '_')) },
  });

export const getLibvirtRequestedCredentials = credentialCall('get-libvirt-requested-credentials', 'strings', [], 'get list of credentials requested by libvirt', 'get-libvirt-requested-credentials');
export const getLibvirtRequestedCredentialPrompt = credentialCall('get-libvirt-requested-credential-prompt', 'string', [{ name: 'index', kind: 'Int' }], "prompt of i'th requested credential", 'get-libvirt-requested-credential-prompt 0');
export const getLibvirtRequestedCredentialChallenge = credentialCall('get-libvirt-requested-credential-challenge', 'string', [{ name: 'index', kind: 'Int' }], "challenge of i'th requested credential", 'get-libvirt-requested-credential-challenge 0');
export const getLibvirtRequestedCredentialDefresult = credentialCall('get-libvirt-requested-credential-defresult', 'string', [{ name: 'index', kind: 'Int' }], "default result of i'th requested credential", 'get-libvirt-requested-credential-defresult 0');
export const setLibvirtRequestedCredential = credentialCall('set-libvirt-requested-credential', 'void', [{ name: 'index', kind: 'Int' }, { name: 'cred', kind: 'BufferIn' }], 'pass requested credential back to libvirt', 'set-libvirt-requested-credential 0 secret');

export const HANDLE_EXTRA_COMMANDS = [
  umask, getUmask, addDriveScratch, maxDisks, getPath, setPath, config, parseEnvironment, parseEnvironmentList,
  globExpand, userCancel, cPointer, debugDrives, setLibvirtSupportedCredentials, getLibvirtRequestedCredentials,
  getLibvirtRequestedCredentialPrompt, getLibvirtRequestedCredentialChallenge, getLibvirtRequestedCredentialDefresult,
  setLibvirtRequestedCredential,
] as const;
