/**
 * inotify in the appliance. The agent runs each request in a subshell that ends,
 * so no inotify descriptor can live in it: each watch is its own inotifywait
 * process (inotify-tools), started detached with the watch's mask as its event
 * list, appending "WD EVENTS NAME" lines to /run/inotify/events. add-watch returns
 * once inotifywait has its watch in place, so no event after it is missed;
 * read returns the lines past the last offset read (nothing is lost to a
 * truncation race). State lives in /run/inotify: watches (next wd), pids, offset.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { lines } from './ops-common.js';

const DIR = '/run/inotify';

/** inotify(7)'s event bits and inotifywait's names for them. */
export const IN_EVENTS: readonly [number, string][] = [
  [0x1, 'ACCESS'], [0x2, 'MODIFY'], [0x4, 'ATTRIB'], [0x8, 'CLOSE_WRITE'], [0x10, 'CLOSE_NOWRITE'], [0x20, 'OPEN'],
  [0x40, 'MOVED_FROM'], [0x80, 'MOVED_TO'], [0x100, 'CREATE'], [0x200, 'DELETE'], [0x400, 'DELETE_SELF'], [0x800, 'MOVE_SELF'],
];
/** Bits inotifywait reports without being asked. */
const ALWAYS: Record<string, number> = { UNMOUNT: 0x2000, Q_OVERFLOW: 0x4000, IGNORED: 0x8000, ISDIR: 0x40000000 };

/** libguestfs's daemon words it with its function's name. */
const needInit = (fn: string) => `[ -d ${DIR} ] || die EINVAL ${sq(`do_${fn}: you must call 'inotify_init' first to initialize inotify`)}`;

async function inotifyInit(b: ApplianceBackend, maxevents: number): Promise<void> {
  if (maxevents < 0) throw new ErrnoError('EINVAL', `${maxevents}: maxevents must not be negative`);
  await b.sh(`command -v inotifywait >/dev/null || die ENOTSUP 'inotifywait is not in the appliance: install the Debian package inotify-tools'
${closeScript()}
mkdir -p ${DIR} && : > ${DIR}/events && echo 0 > ${DIR}/offset && echo 0 > ${DIR}/lastwd
${maxevents > 0 ? `echo ${Math.trunc(maxevents)} > /proc/sys/fs/inotify/max_queued_events` : ''}`);
}

function closeScript(): string {
  return `if [ -d ${DIR} ]; then for p in ${DIR}/pid.*; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; rm -rf ${DIR}; fi`;
}

async function inotifyAddWatch(b: ApplianceBackend, path: string, mask: number): Promise<number> {
  const events = IN_EVENTS.filter(([bit]) => mask & bit).map(([, name]) => `-e ${name.toLowerCase()}`).join(' ');
  if (!events) throw new ErrnoError('EINVAL', `${mask}: the mask names no event`);
  // The kernel keeps one watch per inode: watching a path again replaces its mask and keeps its wd.
  const out = await b.shText(`${needInit('inotify_add_watch')}
rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
wd=
for f in ${DIR}/watch.*; do [ -f "$f" ] && [ "$(cat "$f")" = "$RP" ] && wd=\${f##*.}; done
if [ -n "$wd" ]; then kill "$(cat ${DIR}/pid.$wd)" 2>/dev/null
else read -r wd < ${DIR}/lastwd; wd=$((wd + 1)); echo $wd > ${DIR}/lastwd; fi
printf '%s' "$RP" > ${DIR}/watch.$wd
rm -f ${DIR}/err.$wd
setsid inotifywait -m --format "$wd %e %f" ${events} -- "$RP" >> ${DIR}/events 2> ${DIR}/err.$wd < /dev/null &
echo $! > ${DIR}/pid.$wd
i=0
until grep -q 'Watches established' ${DIR}/err.$wd 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 500 ] && die EIO "inotifywait did not start: $(cat ${DIR}/err.$wd)"
  kill -0 $! 2>/dev/null || die EIO "inotifywait: $(grep -v '^Setting up' ${DIR}/err.$wd)"
  sleep 0.01
done
echo $wd`);
  return Number(out.trim());
}

async function inotifyRmWatch(b: ApplianceBackend, wd: number): Promise<void> {
  const w = Math.trunc(wd);
  // The kernel queues IN_IGNORED for a removed watch; its inotifywait is killed before it could say so.
  await b.sh(`${needInit('inotify_rm_watch')}
[ -f ${DIR}/pid.${w} ] || die EINVAL ${sq(`${wd}: Invalid argument`)}
kill "$(cat ${DIR}/pid.${w})" 2>/dev/null; rm -f ${DIR}/pid.${w} ${DIR}/watch.${w}
echo '${w} IGNORED ' >> ${DIR}/events`);
}

export interface InotifyEvent {
  in_wd: number;
  in_mask: number;
  in_cookie: number;
  in_name: string;
}

async function inotifyRead(b: ApplianceBackend): Promise<InotifyEvent[]> {
  // The watchers write on their own time: the queue is read once it has stopped growing.
  const out = await b.shText(`${needInit('inotify_read')}
s=-1; n=$(wc -c < ${DIR}/events)
while [ "$s" != "$n" ]; do s=$n; sleep 0.05; n=$(wc -c < ${DIR}/events); done
read -r off < ${DIR}/offset
tail -c +$((off + 1)) ${DIR}/events | head -c $((n - off))
echo $n > ${DIR}/offset`);
  const events: InotifyEvent[] = [];
  for (const l of lines(out)) {
    const [wd, names, ...rest] = l.split(' ');
    let mask = 0;
    for (const n of names!.split(',')) mask |= IN_EVENTS.find(([, e]) => e === n)?.[0] ?? ALWAYS[n] ?? 0;
    const e = { in_wd: Number(wd), in_mask: mask, in_cookie: 0, in_name: rest.join(' ') };
    // The kernel merges an event with an identical one still unread at the tail of the queue;
    // inotifywait reads each at once, so the merge is made here.
    const last = events.at(-1);
    if (last && last.in_wd === e.in_wd && last.in_mask === e.in_mask && last.in_name === e.in_name) continue;
    events.push(e);
  }
  return events;
}

async function inotifyClose(b: ApplianceBackend): Promise<void> {
  await b.sh(`${needInit('inotify_close')}\n${closeScript()}`);
}

export const inotifyOps = { inotifyInit, inotifyAddWatch, inotifyRmWatch, inotifyRead, inotifyClose };
