/** The backend and handle themselves: versions, liveness, messages, feature groups and handle state. */
import { API_VERSION } from '../core/api-version.js';
import { ErrnoError } from '../errors/index.js';
import type { BackendName } from '../backend/backend.js';
import { appliance, applianceOp, applianceOps, type ApplianceContext } from './appliance-access.js';
import { FEATURE_GROUPS } from './feature-groups.js';
import { defineCommand, type CallContext } from './types.js';
import { wasm } from './wasm-access.js';

export const version = defineCommand({
  name: 'version', args: [], ret: 'struct', phase: 'any', fields: ['major', 'minor', 'release', 'extra'],
  shortdesc: 'get the library version number',
  longdesc: 'The libguestfs API version guestkit implements and matches in output (1.48.6), as major, minor, release and extra.',
  examples: ['version'],
  impl: { any: async () => ({ ...API_VERSION }) },
});

export const pingDaemon = defineCommand({
  name: 'ping-daemon', args: [], ret: 'void',
  shortdesc: 'ping the guest daemon',
  longdesc: 'Checks that the backend answers: a round trip to the appliance\'s agent, or to the wasm backend\'s filesystem worker.',
  examples: ['ping-daemon'],
  impl: { appliance: applianceOp('pingDaemon'), wasm: async (ctx) => { await wasm(ctx).rpc('mounts'); } },
});

export const sleep = defineCommand({
  name: 'sleep', args: [{ name: 'secs', kind: 'Int' }], ret: 'void',
  shortdesc: 'sleep for some seconds',
  longdesc: 'Waits secs seconds (in the appliance on the appliance backend).',
  examples: ['sleep 1'],
  impl: {
    appliance: applianceOp('sleep'),
    wasm: async (_ctx, [secs]) => { await new Promise((r) => setTimeout(r, Math.max(0, secs) * 1000)); },
  },
});

export const dmesg = defineCommand({
  name: 'dmesg', args: [], ret: 'string',
  shortdesc: 'return kernel messages',
  longdesc: 'The appliance kernel\'s message buffer (dmesg), for debugging. Needs the appliance backend.',
  examples: ['dmesg'],
  impl: { appliance: applianceOp('dmesg') },
});

export const utsname = defineCommand({
  name: 'utsname', args: [], ret: 'struct', fields: ['uts_sysname', 'uts_release', 'uts_version', 'uts_machine'],
  shortdesc: 'appliance kernel version',
  longdesc: 'The appliance kernel\'s uname: system name, release, version and machine. Needs the appliance backend.',
  examples: ['utsname'],
  impl: { appliance: applianceOp('utsname') },
});

export const dropCaches = defineCommand({
  name: 'drop-caches', args: [{ name: 'whattodrop', kind: 'Int' }], ret: 'void',
  shortdesc: 'drop kernel page cache, dentries and inodes',
  longdesc: 'Syncs, then has the appliance kernel drop its page cache (1), dentries and inodes (2) or both (3). Needs the appliance backend.',
  examples: ['drop-caches 3'],
  impl: { appliance: applianceOp('dropCaches') },
});

export const modprobe = defineCommand({
  name: 'modprobe', args: [{ name: 'modulename', kind: 'String' }], ret: 'void',
  shortdesc: 'load a kernel module',
  longdesc: 'Loads a kernel module the appliance carries (see appliance/modules.txt), with its dependencies. Needs the appliance backend.',
  examples: ['modprobe xfs'],
  impl: { appliance: applianceOp('modprobe') },
});

/** The feature groups available on this handle's backend (see feature-groups.ts). */
/** Which programs of a list the backend has: the appliance looks; the wasm backend runs none. */
type ProgramsPresent = (programs: string[]) => Promise<Set<string>>;

const appliancePrograms = (ctx: ApplianceContext): ProgramsPresent => async (programs) => (await applianceOps()).programsPresent(appliance(ctx), programs);
const noPrograms: ProgramsPresent = async () => new Set<string>();

async function availableGroups(backend: BackendName, present: ProgramsPresent, groups: string[]): Promise<Map<string, boolean>> {
  for (const g of groups) if (!FEATURE_GROUPS[g]) throw new ErrnoError('EINVAL', `${g}: unknown group`);
  const { findCommand } = await import('./commands.js');
  const implemented = (g: string) => FEATURE_GROUPS[g]!.commands.some((c) => {
    const def = findCommand(c);
    return !!def && !!(def.impl[backend] ?? def.impl.any);
  });
  const found = await present([...new Set(groups.flatMap((g) => FEATURE_GROUPS[g]!.programs))]);
  const programsOk = (g: string) => backend !== 'appliance' || FEATURE_GROUPS[g]!.programs.every((p) => found.has(p));
  return new Map(groups.map((g) => [g, implemented(g) && programsOk(g)]));
}

export const featureAvailable = defineCommand({
  name: 'feature-available', args: [{ name: 'groups', kind: 'StringList' }], ret: 'bool',
  shortdesc: 'test availability of some parts of the API',
  longdesc: `True when every group listed is available on this handle's backend: guestkit has the group's
commands for it and, on the appliance, the programs they run are in the appliance. An unknown group name is an error.`,
  examples: ['feature-available "lvm2 xfs"'],
  impl: {
    appliance: async (ctx, [groups]) => [...(await availableGroups('appliance', appliancePrograms(ctx), groups)).values()].every(Boolean),
    wasm: async (_ctx, [groups]) => [...(await availableGroups('wasm', noPrograms, groups)).values()].every(Boolean),
  },
});

async function requireGroups(backend: BackendName, present: ProgramsPresent, groups: string[]): Promise<void> {
  for (const [g, ok] of await availableGroups(backend, present, groups)) {
    if (!ok) throw new ErrnoError('ENOTSUP', `${g}: group not available on the ${backend} backend`);
  }
}

export const available = defineCommand({
  name: 'available', args: [{ name: 'groups', kind: 'StringList' }], ret: 'void',
  shortdesc: 'test availability of some parts of the API',
  longdesc: 'Like feature-available, but fails (ENOTSUP, naming the group) when a group is not available.',
  examples: ['available "lvm2 mdadm"'],
  impl: {
    appliance: async (ctx, [groups]) => requireGroups('appliance', appliancePrograms(ctx), groups),
    wasm: async (_ctx, [groups]) => requireGroups('wasm', noPrograms, groups),
  },
});

export const availableAllGroups = defineCommand({
  name: 'available-all-groups', args: [], ret: 'strings',
  shortdesc: 'return a list of all optional groups',
  longdesc: 'Every feature group name guestkit knows (libguestfs\'s list), available or not; test them with feature-available.',
  examples: ['available-all-groups'],
  impl: { any: async () => Object.keys(FEATURE_GROUPS).sort() },
});

const STATE_CODE = { config: 0, launched: 2, closed: 4 } as const;

export const getState = defineCommand({
  name: 'get-state', args: [], ret: 'int', phase: 'any',
  shortdesc: 'get the current state',
  longdesc: 'The handle\'s state as libguestfs numbers it: 0 config, 2 ready (launched). guestkit\'s launch completes inside one call, so 1 (launching) is never seen.',
  examples: ['get-state'],
  impl: { any: async (ctx) => STATE_CODE[ctx.handle.state] },
});

export const isConfig = defineCommand({
  name: 'is-config', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'is in configuration state',
  longdesc: 'True before launch.',
  examples: ['is-config'],
  impl: { any: async (ctx) => ctx.handle.state === 'config' },
});

export const isReady = defineCommand({
  name: 'is-ready', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'is ready to accept commands',
  longdesc: 'True once launched (until shutdown).',
  examples: ['is-ready'],
  impl: { any: async (ctx) => ctx.handle.state === 'launched' },
});

export const isLaunching = defineCommand({
  name: 'is-launching', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'is launching subprocess',
  longdesc: 'Always false: a call cannot observe guestkit\'s launch in progress.',
  examples: ['is-launching'],
  impl: { any: async () => false },
});

export const isBusy = defineCommand({
  name: 'is-busy', args: [], ret: 'bool', phase: 'any',
  shortdesc: 'is busy processing a command',
  longdesc: 'Always false, as in libguestfs (a call cannot observe another one in progress).',
  examples: ['is-busy'],
  impl: { any: async () => false },
});
