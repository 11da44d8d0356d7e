/** The appliance itself: its kernel, messages, caches, modules and which programs it carries. */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { lines } from './ops-common.js';

async function utsname(b: ApplianceBackend): Promise<Record<string, string>> {
  const [sysname = '', release = '', version = '', machine = ''] = lines(await b.shText('uname -s; uname -r; uname -v; uname -m'));
  return { uts_sysname: sysname, uts_release: release, uts_version: version, uts_machine: machine };
}

async function dropCaches(b: ApplianceBackend, whattodrop: number): Promise<void> {
  if (![1, 2, 3].includes(whattodrop)) throw new ErrnoError('EINVAL', `whattodrop: ${whattodrop}: must be 1, 2 or 3`);
  await b.sh(`sync; echo ${whattodrop} > /proc/sys/vm/drop_caches`);
}

/** Loads a module the appliance carries (appliance/modules.txt), with its dependencies. */
async function modprobe(b: ApplianceBackend, name: string): Promise<void> {
  const sysName = name.replace(/-/g, '_');
  await b.sh(`[ -d /sys/module/${sq(sysName)} ] && exit 0
needmod ${sq(name)}; needmod ${sq(sysName)}
# A dependency of a listed module (fat of vfat): load its order up to it.
[ -d /sys/module/${sq(sysName)} ] || while read -r _m _order; do
  case " $_order " in *" "${sq(sysName)}" "*) ;; *) continue ;; esac
  for _x in $_order; do
    loadmod "$_x"
    [ "$_x" = ${sq(sysName)} ] && break
  done
  break
done < /lib/modules/lazy
[ -d /sys/module/${sq(sysName)} ] || die ENOENT ${sq(`${name}: module not found in the appliance`)}`);
}

/** The programs of `names` that the appliance has. */
async function programsPresent(b: ApplianceBackend, names: readonly string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  const out = await b.shText(`for p in ${names.map(sq).join(' ')}; do command -v "$p" >/dev/null 2>&1 && echo "$p"; done; :`);
  return new Set(lines(out));
}

export const infoOps = {
  utsname,
  dmesg: (b: ApplianceBackend) => b.shText('dmesg'),
  pingDaemon: async (b: ApplianceBackend) => {
    await b.sh(':');
  },
  sleep: async (b: ApplianceBackend, secs: number) => {
    await b.sh(`sleep ${Math.max(0, Math.trunc(secs))}`, { timeoutMs: Math.max(0, secs) * 1000 + 60_000 });
  },
  dropCaches,
  modprobe,
  programsPresent,
};
