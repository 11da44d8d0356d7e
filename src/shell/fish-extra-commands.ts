/**
 * Fish-only commands about the handle rather than the guest: event handlers
 * (event, list-events, delete-event), the optional groups (supported), the
 * manual (man) and the hex editor (hexedit). Worded as guestfish 1.48 words them.
 */
import { spawn } from 'node:child_process';
import type { Guestfs, HandleEvent } from '../core/guestfs.js';
import { GuestkitError } from '../errors/index.js';
import type { FishCommand, FishContext } from './fish-commands.js';
import { runShell } from './host-command.js';
import { hexedit } from './hexedit.js';
import { UsageError } from './usage-error.js';

/** libguestfs's events in bit order: an event set prints in this order. */
const EVENT_NAMES = ['close', 'subprocess_quit', 'launch_done', 'progress', 'appliance', 'library', 'trace', 'enter', 'libvirt_auth', 'warning'] as const;

interface EventHandler {
  name: string;
  /** Indexes into EVENT_NAMES; all of them for "*". */
  events: Set<number>;
  all: boolean;
  script: string;
}

/** The shell's handlers, per handle (a reopened handle starts with none, as in guestfish). */
const handlers = new WeakMap<Guestfs, { list: EventHandler[]; stop: () => void }>();

/** "close,launch": each name is matched as guestfish does, as a prefix of the first event name it begins. */
function parseEventSet(text: string): { events: Set<number>; all: boolean } {
  if (text === '*') return { events: new Set(EVENT_NAMES.map((_, i) => i)), all: true };
  const events = new Set<number>();
  for (const word of text.split(',')) {
    if (word === '') continue;
    const i = EVENT_NAMES.findIndex((n) => n.startsWith(word));
    if (i < 0) throw new UsageError(`unknown event name: ${word}\n`);
    events.add(i);
  }
  return { events, all: false };
}

function eventSetText(h: EventHandler): string {
  return h.all ? '*' : EVENT_NAMES.filter((_, i) => h.events.has(i)).join(',');
}

function handlersOf(ctx: FishContext): EventHandler[] {
  let entry = handlers.get(ctx.g);
  if (!entry) {
    const list: EventHandler[] = [];
    // The script runs with $EVENT set to the event's name and the event's message (for enter: the call's name) as $1.
    const stop = ctx.g.onEvent(async (event: HandleEvent, message: string) => {
      const bit = EVENT_NAMES.indexOf(event);
      for (const h of [...list]) {
        if (!h.events.has(bit)) continue;
        const script = message ? `set -- "$GUESTKIT_EVENT_MESSAGE"\n${h.script}` : h.script;
        await runShell(ctx, script, { env: { EVENT: event, GUESTKIT_EVENT_MESSAGE: message } });
      }
    });
    entry = { list, stop };
    handlers.set(ctx.g, entry);
  }
  return entry.list;
}

const event: FishCommand = {
  name: 'event',
  usage: 'event name eventset "shell script ..."',
  shortdesc: 'register a handler for an event or events',
  longdesc: `Runs the shell script (with /bin/sh -c) whenever one of the events in eventset happens: a
comma-separated list of close, launch_done, enter, subprocess_quit, progress, appliance, library, trace,
libvirt_auth, warning (a prefix names the first event it begins), or "*" for all. $EVENT holds the
event's name; for enter, $1 is the call's name. guestkit raises close, launch_done and enter; the
others are accepted for scripts written for guestfish but never happen. name is for delete-event.`,
  arity: [3, 3],
  arityMessage: "use 'event <name> <eventset> <script>' to register an event handler\n",
  run: async (ctx, [name, set, script]) => {
    const { events, all } = parseEventSet(set!);
    handlersOf(ctx).push({ name: name!, events, all, script: script! });
  },
};

const listEvents: FishCommand = {
  name: 'list-events',
  usage: 'list-events',
  shortdesc: 'list event handlers',
  longdesc: 'Lists the handlers registered with event: "name" (number): events: script.',
  arity: [0, 0],
  arityMessage: "use 'list-events' to list event handlers\n",
  run: async (ctx) => {
    const list = handlersOf(ctx);
    await ctx.write(list.map((h, i) => `"${h.name}" (${i}): ${eventSetText(h)}: ${h.script}\n`).join(''));
  },
};

const deleteEvent: FishCommand = {
  name: 'delete-event',
  usage: 'delete-event name',
  shortdesc: 'delete a previously registered event handler',
  longdesc: 'Removes every handler registered under the name.',
  arity: [1, 1],
  arityMessage: "use 'delete-event <name>' to delete an event handler\n",
  run: async (ctx, [name]) => {
    const list = handlersOf(ctx);
    const keep = list.filter((h) => h.name !== name);
    if (keep.length === list.length) throw new UsageError(`delete-event: ${name}: no such event handler\n`);
    list.splice(0, list.length, ...keep);
  },
};

const supported: FishCommand = {
  name: 'supported',
  usage: 'supported',
  shortdesc: 'list supported groups of commands',
  longdesc: `Lists every optional group (see available-all-groups) with "yes" or "no": whether this
handle's backend has the group (feature-available). Needs a launched handle.`,
  arity: [0, 0],
  arityMessage: "use 'supported' to list the supported groups of commands\n",
  run: async (ctx) => {
    const groups = (await ctx.g.call('available-all-groups', [])) as string[];
    const width = Math.max(...groups.map((g) => g.length));
    let out = '';
    for (const g of groups) out += `${g.padStart(width)} ${(await ctx.g.call('feature-available', [[g]])) ? 'yes' : 'no'}\n`;
    await ctx.write(out);
  },
};

/** guestkit's manual page, when one is installed (`man -w` finds it). */
const MAN_PAGE = 'guestkit-fish';

function manPageInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('man', ['-w', MAN_PAGE], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (status) => resolve(status === 0));
  });
}

const man: FishCommand = {
  name: 'man',
  aliases: ['manual'],
  usage: 'man',
  shortdesc: 'open the manual',
  longdesc: `Opens the manual page ${MAN_PAGE}(1) with man(1) when it is installed. Without it, fails and says
where the documentation is: \`help\`, \`help CMD\` and the README of the guestkit package.`,
  arity: [0, 0],
  arityMessage: "use 'man' to open the manual\n",
  run: async (ctx) => {
    if (!(await manPageInstalled())) {
      throw new GuestkitError('ENOENT', `no manual page ${MAN_PAGE}(1) is installed: use 'help', 'help CMD' or the guestkit README`);
    }
    const r = await runShell(ctx, `man ${MAN_PAGE}`);
    if (r.status !== 0) throw new GuestkitError('EIO', `man ${MAN_PAGE} failed with status ${r.status}`);
  },
};

export const FISH_EXTRA_COMMANDS: readonly FishCommand[] = [event, listEvents, deleteEvent, supported, man, hexedit];
