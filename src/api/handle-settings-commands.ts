/**
 * The handle's get-/set- settings (libguestfs's names and defaults where guestkit
 * shares them). memsize, smp, append, hv/qemu, cachedir, tmpdir and the force_tcg
 * backend setting shape the appliance at its next launch; the others are kept and
 * read back for programs written against libguestfs.
 */
import { ErrnoError, GuestkitError } from '../errors/index.js';
import type { HandleSettings } from '../core/handle-settings.js';
import { resolveBackendName } from '../core/backend-name.js';
import { appliance } from './appliance-access.js';
import { defineCommand, type CallContext, type Impl } from './types.js';

type Key = { [K in keyof HandleSettings]: HandleSettings[K] extends string | number | boolean | null | string[] ? K : never }[keyof HandleSettings];

const settings = (ctx: CallContext) => ctx.handle.settings;
const get = (key: Key): Impl => async (ctx) => settings(ctx)[key];
function set<K extends Key>(key: K, check: (v: HandleSettings[K]) => HandleSettings[K] = (v) => v): Impl {
  return async (ctx, [v]) => {
    (settings(ctx) as unknown as Record<K, HandleSettings[K]>)[key] = check(v as HandleSettings[K]);
  };
}

function absoluteDir(what: string) {
  return (v: string | null) => {
    if (v !== null && !v.startsWith('/')) throw new ErrnoError('EINVAL', `${what} must be an absolute path: ${v}`);
    return v;
  };
}

export const getMemsize = defineCommand({
  name: 'get-memsize', args: [], ret: 'int', phase: 'any',
  shortdesc: 'get memory allocated to the appliance',
  longdesc: 'The appliance\'s RAM in megabytes (guestkit\'s default is 512: its busybox appliance needs less than libguestfs\'s).',
  examples: ['get-memsize'],
  impl: { any: get('memsize') },
});

export const setMemsize = defineCommand({
  name: 'set-memsize', args: [{ name: 'memsize', kind: 'Int' }], ret: 'void', phase: 'any',
  shortdesc: 'set memory allocated to the appliance',
  longdesc: 'Sets the appliance\'s RAM in megabytes, from the next launch. At least 128.',
  examples: ['set-memsize 1024'],
  impl: {
    any: set('memsize', (v) => {
      if (v < 128) throw new ErrnoError('EINVAL', `invalid memsize: ${v} (at least 128 megabytes)`);
      return v;
    }),
  },
});

export const getSmp = defineCommand({
  name: 'get-smp', args: [], ret: 'int', phase: 'any',
  shortdesc: 'get number of virtual CPUs in appliance',
  longdesc: 'The number of virtual CPUs the appliance gets (default 1).',
  examples: ['get-smp'],
  impl: { any: get('smp') },
});

export const setSmp = defineCommand({
  name: 'set-smp', args: [{ name: 'smp', kind: 'Int' }], ret: 'void', phase: 'any',
  shortdesc: 'set number of virtual CPUs in appliance',
  longdesc: 'Sets the number of virtual CPUs of the appliance, from the next launch (1 to 255).',
  examples: ['set-smp 2'],
  impl: {
    any: set('smp', (v) => {
      if (v < 1 || v > 255) throw new ErrnoError('EINVAL', `invalid smp parameter: ${v}`);
      return v;
    }),
  },
});

export const getAppend = defineCommand({
  name: 'get-append', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the additional kernel options',
  longdesc: 'The extra words for the appliance kernel\'s command line, or NULL (fish prints "(null)") when none were set.',
  examples: ['get-append'],
  impl: { any: get('append') },
});

export const setAppend = defineCommand({
  name: 'set-append', args: [{ name: 'append', kind: 'OptString' }], ret: 'void', phase: 'any',
  shortdesc: 'add options to kernel command line',
  longdesc: 'Words added to the appliance kernel\'s command line at the next launch; NULL removes them.',
  examples: ['set-append "console=ttyS0 debug"', 'set-append NULL'],
  impl: { any: set('append') },
});

export const getHv = defineCommand({
  name: 'get-hv', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the hypervisor binary',
  longdesc: 'The qemu program the appliance runs under (default qemu-system-x86_64, found on $PATH).',
  examples: ['get-hv'],
  impl: { any: get('hv') },
});

export const setHv = defineCommand({
  name: 'set-hv', args: [{ name: 'hv', kind: 'String' }], ret: 'void', phase: 'any',
  shortdesc: 'set the hypervisor binary',
  longdesc: 'Sets the qemu program the appliance runs under, from the next launch.',
  examples: ['set-hv /usr/local/bin/qemu-system-x86_64'],
  impl: { any: set('hv') },
});

export const getQemu = defineCommand({
  name: 'get-qemu', args: [], ret: 'string', phase: 'any',
  deprecatedBy: 'get-hv',
  shortdesc: 'get the hypervisor binary (usually qemu)',
  longdesc: 'The same as get-hv (the older name).',
  examples: ['get-qemu'],
  impl: { any: get('hv') },
});

export const setQemu = defineCommand({
  name: 'set-qemu', args: [{ name: 'hv', kind: 'OptString' }], ret: 'void', phase: 'any',
  deprecatedBy: 'set-hv',
  shortdesc: 'set the hypervisor binary (usually qemu)',
  longdesc: 'The same as set-hv (the older name); NULL restores the default, qemu-system-x86_64.',
  examples: ['set-qemu NULL'],
  impl: { any: async (ctx, [hv]) => { settings(ctx).hv = hv ?? 'qemu-system-x86_64'; } },
});

export const getBackend = defineCommand({
  name: 'get-backend', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the backend',
  longdesc: 'The backend asked for: "auto" (the default, or $GUESTKIT_BACKEND), "wasm" or "appliance".',
  examples: ['get-backend'],
  impl: { any: async (ctx) => settings(ctx).backend },
});

const setBackendImpl: Impl = async (ctx, [name]) => {
  settings(ctx).backend = resolveBackendName(name);
};

export const setBackend = defineCommand({
  name: 'set-backend', args: [{ name: 'backend', kind: 'String' }], ret: 'void', phase: 'config',
  shortdesc: 'set the backend',
  longdesc: 'Chooses the backend before launch: "auto", "wasm" or "appliance" (see --backend).',
  examples: ['set-backend appliance'],
  impl: { any: setBackendImpl },
});

export const getAttachMethod = defineCommand({
  name: 'get-attach-method', args: [], ret: 'string', phase: 'any',
  deprecatedBy: 'get-backend',
  shortdesc: 'get the backend',
  longdesc: 'The same as get-backend (the older name).',
  examples: ['get-attach-method'],
  impl: { any: async (ctx) => settings(ctx).backend },
});

export const setAttachMethod = defineCommand({
  name: 'set-attach-method', args: [{ name: 'backend', kind: 'String' }], ret: 'void', phase: 'config',
  deprecatedBy: 'set-backend',
  shortdesc: 'set the backend',
  longdesc: 'The same as set-backend (the older name).',
  examples: ['set-attach-method wasm'],
  impl: { any: setBackendImpl },
});

export const getBackendSettings = defineCommand({
  name: 'get-backend-settings', args: [], ret: 'strings', phase: 'any',
  shortdesc: 'get per-backend settings',
  longdesc: 'The backend settings, each "name" or "name=value". The appliance honours force_tcg (never use KVM).',
  examples: ['get-backend-settings'],
  impl: { any: async (ctx) => [...settings(ctx).backendSettings] },
});

export const setBackendSettings = defineCommand({
  name: 'set-backend-settings', args: [{ name: 'settings', kind: 'StringList' }], ret: 'void', phase: 'any',
  shortdesc: 'replace per-backend settings strings',
  longdesc: 'Replaces every backend setting with the list given ("name" or "name=value" words).',
  examples: ['set-backend-settings force_tcg'],
  impl: { any: async (ctx, [list]) => { settings(ctx).backendSettings = [...list]; } },
});

const settingName = (s: string) => s.split('=')[0];

export const getBackendSetting = defineCommand({
  name: 'get-backend-setting', args: [{ name: 'name', kind: 'String' }], ret: 'string', phase: 'any',
  shortdesc: 'get a single per-backend settings string',
  longdesc: 'The value of the backend setting "name=value", or "1" for a bare "name"; fails with "setting not found" (ESRCH) when it is not set.',
  examples: ['get-backend-setting force_tcg'],
  impl: {
    any: async (ctx, [name]) => {
      const found = settings(ctx).backendSettings.find((s) => settingName(s) === name);
      if (found === undefined) throw new GuestkitError('ESRCH', 'setting not found');
      const eq = found.indexOf('=');
      return eq < 0 ? '1' : found.slice(eq + 1);
    },
  },
});

export const setBackendSetting = defineCommand({
  name: 'set-backend-setting', args: [{ name: 'name', kind: 'String' }, { name: 'val', kind: 'String' }], ret: 'void', phase: 'any',
  shortdesc: 'set a single per-backend settings string',
  longdesc: 'Sets "name=val", replacing any earlier setting of that name.',
  examples: ['set-backend-setting force_tcg 1'],
  impl: {
    any: async (ctx, [name, val]) => {
      const s = settings(ctx);
      s.backendSettings = [...s.backendSettings.filter((x) => settingName(x) !== name), `${name}=${val}`];
    },
  },
});

export const clearBackendSetting = defineCommand({
  name: 'clear-backend-setting', args: [{ name: 'name', kind: 'String' }], ret: 'int', phase: 'any',
  shortdesc: 'remove a single per-backend settings string',
  longdesc: 'Removes the settings "name" and "name=..."; returns how many were removed.',
  examples: ['clear-backend-setting force_tcg'],
  impl: {
    any: async (ctx, [name]) => {
      const s = settings(ctx);
      const before = s.backendSettings.length;
      s.backendSettings = s.backendSettings.filter((x) => settingName(x) !== name);
      return before - s.backendSettings.length;
    },
  },
});

export const getCachedir = defineCommand({
  name: 'get-cachedir', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the appliance cache directory',
  longdesc: 'Where the appliance (kernel and initramfs) is built and kept: $GUESTKIT_APPLIANCE_CACHE, else ~/.cache/guestkit/appliance, unless set-cachedir chose another.',
  examples: ['get-cachedir'],
  impl: {
    any: async (ctx) => settings(ctx).cachedir ?? (await import('../backend/appliance/build.js')).defaultCacheDir(),
  },
});

export const setCachedir = defineCommand({
  name: 'set-cachedir', args: [{ name: 'cachedir', kind: 'OptString' }], ret: 'void', phase: 'any',
  shortdesc: 'set the appliance cache directory',
  longdesc: 'Sets where the appliance is built and kept, from the next launch; NULL restores the default.',
  examples: ['set-cachedir /var/cache/guestkit'],
  impl: { any: set('cachedir', absoluteDir('cachedir')) },
});

export const getTmpdir = defineCommand({
  name: 'get-tmpdir', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the temporary directory',
  longdesc: 'Where the appliance\'s private directory (agent socket, overlays, console log) is made: $TMPDIR, else /tmp.',
  examples: ['get-tmpdir'],
  impl: { any: get('tmpdir') },
});

export const setTmpdir = defineCommand({
  name: 'set-tmpdir', args: [{ name: 'tmpdir', kind: 'OptString' }], ret: 'void', phase: 'any',
  shortdesc: 'set the temporary directory',
  longdesc: 'Sets the temporary directory, from the next launch; NULL restores the default ($TMPDIR, else /tmp).',
  examples: ['set-tmpdir /var/tmp'],
  impl: { any: async (ctx, [dir]) => { settings(ctx).tmpdir = absoluteDir('tmpdir')(dir) ?? (process.env.TMPDIR || '/tmp'); } },
});

export const getSockdir = defineCommand({
  name: 'get-sockdir', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the temporary directory for sockets',
  longdesc: 'Where the appliance\'s agent socket is made: in its private directory under the temporary directory (get-tmpdir).',
  examples: ['get-sockdir'],
  impl: { any: get('tmpdir') },
});

export const getIdentifier = defineCommand({
  name: 'get-identifier', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the handle identifier',
  longdesc: 'The handle\'s identifier (empty by default).',
  examples: ['get-identifier'],
  impl: { any: get('identifier') },
});

export const setIdentifier = defineCommand({
  name: 'set-identifier', args: [{ name: 'identifier', kind: 'String' }], ret: 'void', phase: 'any',
  shortdesc: 'set the handle identifier',
  longdesc: 'Names the handle, for programs that run several; letters, digits, "_" and "-" only.',
  examples: ['set-identifier main'],
  impl: {
    any: set('identifier', (v) => {
      if (!/^[A-Za-z0-9_-]*$/.test(v)) throw new ErrnoError('EINVAL', 'identifier must contain only alphanumeric characters, underscore or minus sign');
      return v;
    }),
  },
});

export const getProgram = defineCommand({
  name: 'get-program', args: [], ret: 'string', phase: 'any',
  shortdesc: 'get the program name',
  longdesc: 'The program name used in messages: the running script\'s name by default ("guestkit" for the CLI).',
  examples: ['get-program'],
  impl: { any: get('program') },
});

export const setProgram = defineCommand({
  name: 'set-program', args: [{ name: 'program', kind: 'String' }], ret: 'void', phase: 'any',
  shortdesc: 'set the program name',
  longdesc: 'Sets the program name.',
  examples: ['set-program mytool'],
  impl: { any: set('program') },
});

/** Boolean settings guestkit keeps for libguestfs programs but whose behaviour it has fixed (documented per command). */
export const getTrace = defineCommand({
  name: 'get-trace', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'get command trace enabled flag',
  longdesc: 'The trace flag (default false). guestkit keeps it for programs that set and read it; it prints no trace.',
  examples: ['get-trace'],
  impl: { any: get('trace') },
});

export const setTrace = defineCommand({
  name: 'set-trace', args: [{ name: 'trace', kind: 'Bool' }], ret: 'void', phase: 'any',
  shortdesc: 'enable or disable command traces',
  longdesc: 'Sets the trace flag (kept, not acted on: guestkit prints no call trace).',
  examples: ['set-trace true'],
  impl: { any: set('trace') },
});

export const getVerbose = defineCommand({
  name: 'get-verbose', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'get verbose mode',
  longdesc: 'The verbose flag (default false). Messages come from the -v option (or the library\'s log callback), not from this flag.',
  examples: ['get-verbose'],
  impl: { any: get('verbose') },
});

export const setVerbose = defineCommand({
  name: 'set-verbose', args: [{ name: 'verbose', kind: 'Bool' }], ret: 'void', phase: 'any',
  shortdesc: 'set verbose mode',
  longdesc: 'Sets the verbose flag (kept, not acted on: use -v or the log option for messages).',
  examples: ['set-verbose true'],
  impl: { any: set('verbose') },
});

export const getAutosync = defineCommand({
  name: 'get-autosync', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'get autosync mode',
  longdesc: 'The autosync flag (default true). guestkit always unmounts and syncs at shutdown, whatever its value.',
  examples: ['get-autosync'],
  impl: { any: get('autosync') },
});

export const setAutosync = defineCommand({
  name: 'set-autosync', args: [{ name: 'autosync', kind: 'Bool' }], ret: 'void', phase: 'any',
  shortdesc: 'set autosync mode',
  longdesc: 'Sets the autosync flag (kept, not acted on: guestkit always syncs at shutdown so no write is lost).',
  examples: ['set-autosync true'],
  impl: { any: set('autosync') },
});

export const getDirect = defineCommand({
  name: 'get-direct', args: [], ret: 'bool', phase: 'any',
  deprecatedBy: 'internal-get-console-socket',
  shortdesc: 'get direct appliance mode flag',
  longdesc: 'The direct flag (default false; kept, not acted on: the appliance\'s console goes to its log file).',
  examples: ['get-direct'],
  impl: { any: get('direct') },
});

export const setDirect = defineCommand({
  name: 'set-direct', args: [{ name: 'direct', kind: 'Bool' }], ret: 'void', phase: 'any',
  deprecatedBy: 'internal-get-console-socket',
  shortdesc: 'enable or disable direct appliance mode',
  longdesc: 'Sets the direct flag (kept, not acted on).',
  examples: ['set-direct false'],
  impl: { any: set('direct') },
});

export const getRecoveryProc = defineCommand({
  name: 'get-recovery-proc', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'get recovery process enabled flag',
  longdesc: 'The recovery-process flag (default true). guestkit has no recovery process: the host tracks the appliance\'s qemu and kills it when the program exits.',
  examples: ['get-recovery-proc'],
  impl: { any: get('recoveryProc') },
});

export const setRecoveryProc = defineCommand({
  name: 'set-recovery-proc', args: [{ name: 'recoveryproc', kind: 'Bool' }], ret: 'void', phase: 'any',
  shortdesc: 'enable or disable the recovery process',
  longdesc: 'Sets the recovery-process flag (kept, not acted on).',
  examples: ['set-recovery-proc false'],
  impl: { any: set('recoveryProc') },
});

export const getSelinux = defineCommand({
  name: 'get-selinux', args: [], ret: 'bool', phase: 'any',
  deprecatedBy: 'selinux-relabel',
  shortdesc: 'get SELinux enabled flag',
  longdesc: 'The SELinux flag (default false; kept, not acted on, as in libguestfs 1.48).',
  examples: ['get-selinux'],
  impl: { any: get('selinux') },
});

export const setSelinux = defineCommand({
  name: 'set-selinux', args: [{ name: 'selinux', kind: 'Bool' }], ret: 'void', phase: 'any',
  deprecatedBy: 'selinux-relabel',
  shortdesc: 'set SELinux enabled or disabled at appliance boot',
  longdesc: 'Sets the SELinux flag (kept, not acted on).',
  examples: ['set-selinux false'],
  impl: { any: set('selinux') },
});

export const getPgroup = defineCommand({
  name: 'get-pgroup', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'get process group flag',
  longdesc: 'The process-group flag (default false; kept, not acted on).',
  examples: ['get-pgroup'],
  impl: { any: get('pgroup') },
});

export const setPgroup = defineCommand({
  name: 'set-pgroup', args: [{ name: 'pgroup', kind: 'Bool' }], ret: 'void', phase: 'any',
  shortdesc: 'set process group flag',
  longdesc: 'Sets the process-group flag (kept, not acted on).',
  examples: ['set-pgroup true'],
  impl: { any: set('pgroup') },
});

export const getNetwork = defineCommand({
  name: 'get-network', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'get enable network flag',
  longdesc: 'Always false: the guestkit appliance has no network device.',
  examples: ['get-network'],
  impl: { any: async () => false },
});

export const setNetwork = defineCommand({
  name: 'set-network', args: [{ name: 'network', kind: 'Bool' }], ret: 'void', phase: 'any',
  shortdesc: 'set enable network flag',
  longdesc: 'set-network false is accepted; true is refused (ENOTSUP): the guestkit appliance has no network device.',
  examples: ['set-network false'],
  impl: {
    any: async (_ctx, [on]) => {
      if (on) throw new ErrnoError('ENOTSUP', 'the guestkit appliance has no network device');
    },
  },
});

export const getPid = defineCommand({
  name: 'get-pid', args: [], ret: 'int', phase: 'launched',
  shortdesc: 'get PID of hypervisor',
  longdesc: 'The process id of the appliance\'s qemu. The wasm backend runs in process and has none.',
  examples: ['get-pid'],
  impl: {
    appliance: async (ctx) => {
      const pid = appliance(ctx).qemuPid;
      if (pid === undefined) throw new ErrnoError('EINVAL', 'no qemu subprocess');
      return pid;
    },
  },
});
