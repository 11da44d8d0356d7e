/**
 * inotify: watching guest files for changes, in the appliance only (the guest's
 * kernel sees the writes; the wasm backend has no kernel). One handle per session,
 * as in libguestfs; see src/backend/appliance/ops-inotify.ts for how it lives
 * across the agent's requests.
 */
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';

const ONLY = 'Appliance only: the guest kernel reports the events.';

export const inotifyInit = defineCommand({
  name: 'inotify-init',
  args: [{ name: 'maxevents', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'create an inotify handle',
  longdesc: `Creates the inotify handle (closing one that is open). maxevents, when not 0, sets the kernel's
queue length (max_queued_events). Add watches with inotify-add-watch, read with inotify-read. ${ONLY}`,
  examples: ['inotify-init 0'],
  impl: { appliance: applianceOp('inotifyInit') },
});

export const inotifyAddWatch = defineCommand({
  name: 'inotify-add-watch',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'mask', kind: 'Int' }],
  ret: 'int64',
  shortdesc: 'add an inotify watch',
  longdesc: `Watches path (a directory: the files in it, not recursively) for the events in mask, inotify(7)'s
bits (IN_ACCESS 1, IN_MODIFY 2, IN_ATTRIB 4, IN_CLOSE_WRITE 8, IN_CLOSE_NOWRITE 16, IN_OPEN 32, IN_MOVED_FROM 64,
IN_MOVED_TO 128, IN_CREATE 256, IN_DELETE 512, IN_DELETE_SELF 1024, IN_MOVE_SELF 2048; 4095 for all).
Returns the watch descriptor. ${ONLY}`,
  examples: ['inotify-add-watch /etc 4095'],
  impl: { appliance: applianceOp('inotifyAddWatch') },
});

export const inotifyRmWatch = defineCommand({
  name: 'inotify-rm-watch',
  args: [{ name: 'wd', kind: 'Int' }],
  ret: 'void',
  shortdesc: 'remove an inotify watch',
  longdesc: `Removes the watch inotify-add-watch returned. ${ONLY}`,
  examples: ['inotify-rm-watch 1'],
  impl: { appliance: applianceOp('inotifyRmWatch') },
});

export const inotifyRead = defineCommand({
  name: 'inotify-read',
  args: [],
  ret: 'structs',
  fields: ['in_wd', 'in_mask', 'in_cookie', 'in_name'],
  shortdesc: 'return list of inotify events',
  longdesc: `Returns the events queued since the last read (an empty list when none): the watch, the event
bits (IN_ISDIR 0x40000000 added for directories), a cookie (always 0: inotifywait does not report rename
cookies) and the name within a watched directory ("" for the watched path itself). ${ONLY}`,
  examples: ['inotify-read'],
  impl: { appliance: applianceOp('inotifyRead') },
});

export const inotifyFiles = defineCommand({
  name: 'inotify-files',
  args: [],
  ret: 'strings',
  shortdesc: 'return list of watched files that had events',
  longdesc: `The names from inotify-read, sorted, each once. ${ONLY}`,
  examples: ['inotify-files'],
  impl: {
    appliance: async (ctx) => {
      const events = (await ctx.call('inotify-read', [])) as { in_name: string }[];
      return [...new Set(events.map((e) => e.in_name))].sort();
    },
  },
});

export const inotifyClose = defineCommand({
  name: 'inotify-close',
  args: [],
  ret: 'void',
  shortdesc: 'close the inotify handle',
  longdesc: `Closes the inotify handle and removes every watch. ${ONLY}`,
  examples: ['inotify-close'],
  impl: { appliance: applianceOp('inotifyClose') },
});

export const INOTIFY_COMMANDS = [inotifyInit, inotifyAddWatch, inotifyRmWatch, inotifyRead, inotifyFiles, inotifyClose] as const;
