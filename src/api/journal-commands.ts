/**
 * The systemd journal commands (journal-open ... journal-close), on both backends:
 * the journal files of the directory (and its machine-id subdirectories) are read
 * with read-file and parsed in TypeScript (src/journal/journal-file.ts); the handle
 * keeps the entries and the position, as libguestfs keeps its sd_journal. Entries of
 * several files are merged by time (then sequence number).
 */
import { ErrnoError } from '../errors/index.js';
import { readJournalFile, type JournalEntry } from '../journal/journal-file.js';
import { withSyscall } from './syscall-errors.js';
import { defineCommand, type CallContext } from './types.js';

interface JournalSession {
  entries: JournalEntry[];
  /** The current entry; -1 before the first journal-next. */
  pos: number;
  threshold: number;
}

/** sd_journal's default data threshold. */
const DEFAULT_THRESHOLD = 64 * 1024;

function session(ctx: CallContext, fn: string): JournalSession {
  const s = ctx.handle.sessions.get('journal') as JournalSession | undefined;
  if (!s) throw new ErrnoError('EINVAL', `do_${fn}: you must call 'journal-open' first to initialize the journal handle`);
  return s;
}

function current(s: JournalSession): JournalEntry {
  const e = s.entries[s.pos];
  if (!e) throw new ErrnoError('EADDRNOTAVAIL', 'no current journal entry: call journal-next first');
  return e;
}

export const journalOpen = defineCommand({
  name: 'journal-open',
  args: [{ name: 'directory', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'open the systemd journal',
  longdesc: `Opens the systemd journal in the directory (its *.journal files and those of its subdirectories,
as /var/log/journal/MACHINE-ID/), closing one that was open. Read it with journal-next and journal-get,
then journal-close. The files are parsed by guestkit (regular and compact formats); compressed data
objects (xz, lz4, zstd) are refused.`,
  examples: ['journal-open /var/log/journal'],
  impl: {
    any: async (ctx, [dir]) => {
      await withSyscall('sd_journal_open_directory', () => ctx.call('statns', [dir]));
      const names = ((await ctx.call('find', [dir])) as string[]).filter((n) => /^\/?[^/]*\/?[^/]*\.journal$/.test(n.replace(/^\//, '')) && n.replace(/^\//, '').split('/').length <= 2);
      const base = dir === '/' ? '' : dir.replace(/\/+$/, '');
      const entries: JournalEntry[] = [];
      for (const n of names) {
        const path = `${base}/${n.replace(/^\//, '')}`;
        if (!(await ctx.call('is-file', [path]))) continue;
        entries.push(...readJournalFile((await ctx.call('read-file', [path])) as Uint8Array, path));
      }
      entries.sort((a, b) => a.realtime - b.realtime || a.seqnum - b.seqnum);
      ctx.handle.sessions.set('journal', { entries, pos: -1, threshold: DEFAULT_THRESHOLD } satisfies JournalSession);
    },
  },
});

export const journalClose = defineCommand({
  name: 'journal-close',
  args: [],
  ret: 'void',
  shortdesc: 'close the systemd journal',
  longdesc: 'Closes the journal opened with journal-open.',
  examples: ['journal-close'],
  impl: { any: async (ctx) => { session(ctx, 'journal_close'); ctx.handle.sessions.delete('journal'); } },
});

export const journalNext = defineCommand({
  name: 'journal-next',
  args: [],
  ret: 'bool',
  shortdesc: 'move to the next journal entry',
  longdesc: 'Moves to the next entry: true when there is one to read, false at the end (the position stays on the last).',
  examples: ['journal-next'],
  impl: {
    any: async (ctx) => {
      const s = session(ctx, 'journal_next');
      if (s.pos + 1 >= s.entries.length) return false;
      s.pos++;
      return true;
    },
  },
});

export const journalSkip = defineCommand({
  name: 'journal-skip',
  args: [{ name: 'skip', kind: 'Int64' }],
  ret: 'int64',
  shortdesc: 'skip forwards or backwards in the journal',
  longdesc: `Moves skip entries forwards (skip > 0) or backwards (skip < 0) and returns how many it moved (≥ 0):
fewer than |skip| at either end of the journal.`,
  examples: ['journal-skip 10', 'journal-skip -1'],
  impl: {
    any: async (ctx, [skip]) => {
      const s = session(ctx, 'journal_skip');
      const moved = skip >= 0 ? Math.min(skip, s.entries.length - 1 - s.pos) : Math.min(-skip, Math.max(s.pos, 0));
      s.pos += skip >= 0 ? Math.max(moved, 0) : -moved;
      return Math.max(moved, 0);
    },
  },
});

export const journalGet = defineCommand({
  name: 'journal-get',
  args: [],
  ret: 'structs',
  fields: ['attrname', 'attrval'],
  shortdesc: 'read the current journal entry',
  longdesc: `Returns the fields of the current entry as (attrname, attrval) pairs, in the entry's order; attrval is
bytes (fish prints what is not printable as \\xNN). The __CURSOR and timestamp pseudo-fields are not
fields; see journal-get-realtime-usec.`,
  examples: ['journal-get'],
  impl: {
    any: async (ctx) => {
      const e = current(session(ctx, 'internal_journal_get'));
      return e.fields.map((f) => {
        const eq = f.indexOf(0x3d);
        const b = Buffer.from(f);
        return eq < 0 ? { attrname: b.toString('latin1'), attrval: '' } : { attrname: b.subarray(0, eq).toString('latin1'), attrval: b.subarray(eq + 1).toString('latin1') };
      });
    },
  },
});

export const journalGetDataThreshold = defineCommand({
  name: 'journal-get-data-threshold',
  args: [],
  ret: 'int64',
  shortdesc: 'get the data threshold for reading journal entries',
  longdesc: 'The data threshold (65536 when opened; 0 means unlimited). See journal-set-data-threshold.',
  examples: ['journal-get-data-threshold'],
  impl: { any: async (ctx) => session(ctx, 'journal_get_data_threshold').threshold },
});

export const journalSetDataThreshold = defineCommand({
  name: 'journal-set-data-threshold',
  args: [{ name: 'threshold', kind: 'Int64' }],
  ret: 'void',
  shortdesc: 'set the data threshold for reading journal entries',
  longdesc: `Sets the data threshold (0: unlimited). As with sd_journal, it only bounds how much of a compressed
field is decompressed; uncompressed fields (the ones guestkit reads) come back whole.`,
  examples: ['journal-set-data-threshold 0'],
  impl: {
    any: async (ctx, [t]) => {
      if (t < 0) throw new ErrnoError('EINVAL', 'threshold must be >= 0');
      session(ctx, 'journal_set_data_threshold').threshold = t;
    },
  },
});

export const journalGetRealtimeUsec = defineCommand({
  name: 'journal-get-realtime-usec',
  args: [],
  ret: 'int64',
  shortdesc: 'get the timestamp of the current journal entry',
  longdesc: 'The current entry\'s wallclock time, in microseconds since the epoch.',
  examples: ['journal-get-realtime-usec'],
  impl: { any: async (ctx) => current(session(ctx, 'journal_get_realtime_usec')).realtime },
});

export const JOURNAL_COMMANDS = [journalOpen, journalClose, journalNext, journalSkip, journalGet, journalGetDataThreshold, journalSetDataThreshold, journalGetRealtimeUsec] as const;
