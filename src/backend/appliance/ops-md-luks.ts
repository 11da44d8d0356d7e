/**
 * Linux software RAID (mdadm) and LUKS / dm-crypt (cryptsetup) on the appliance,
 * with the arguments and checks of libguestfs's daemon. Keys reach cryptsetup
 * through key files in the appliance's tmpfs, removed after the call.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { fromGuestDev, lines } from './ops-common.js';
import { deviceInto, devicesInto, LONG, toolScript, v, type Word } from './ops-tool.js';

const MD_MODULES = 'needmod md_mod; for m in linear raid0 raid1 raid10 raid456; do needmod $m; done';
const CRYPT_MODULES = 'needmod dm_mod; needmod dm_crypt; for m in xts ecb algif_skcipher algif_hash; do needmod $m; done';

// ---------------------------------------------------------------- md

const MD_LEVELS = ['linear', 'raid0', '0', 'stripe', 'raid1', '1', 'mirror', 'raid4', '4', 'raid5', '5', 'raid6', '6', 'raid10', '10'];

export interface MdCreateOptions {
  missingbitmap?: number; nrdevices?: number; spare?: number; chunk?: number; level?: string;
}

function popcount(n: bigint): number {
  let c = 0;
  for (let x = n; x; x >>= 1n) c += Number(x & 1n);
  return c;
}

async function mdCreate(b: ApplianceBackend, name: string, devices: string[], o: MdCreateOptions = {}): Promise<void> {
  let missing = BigInt.asUintN(64, BigInt(Math.trunc(o.missingbitmap ?? 0)));
  const spare = o.spare ?? 0;
  if (spare < 0) throw new ErrnoError('EINVAL', 'spare must not be negative');
  if (o.nrdevices !== undefined && o.nrdevices < 2) throw new ErrnoError('EINVAL', 'nrdevices is less than 2');
  const nrdevices = o.nrdevices ?? devices.length + popcount(missing);
  const level = o.level ?? 'raid1';
  if (!MD_LEVELS.includes(level)) throw new ErrnoError('EINVAL', `unknown level parameter: ${level}`);
  if (o.chunk !== undefined && o.chunk % 1024 !== 0) throw new ErrnoError('EINVAL', 'chunk size must be a multiple of 1024 bytes');
  if (devices.length + popcount(missing) !== nrdevices + spare) {
    throw new ErrnoError('EINVAL', `devices (${devices.length}) + bits set in missingbitmap (${popcount(missing)}) is not equal to nrdevices (${nrdevices}) + spare (${spare})`);
  }
  const { pre, words } = devicesInto('md', devices);
  const args: Word[] = ['mdadm', '--create', '--run', name, '--level', level, '--raid-devices', String(nrdevices)];
  if (o.spare !== undefined) args.push('--spare-devices', String(spare));
  if (o.chunk !== undefined) args.push('--chunk', String(Math.trunc(o.chunk / 1024)));
  let j = 0;
  while (j < words.length || missing) {
    if (missing & 1n) args.push('missing');
    else args.push(words[j++]!);
    missing >>= 1n;
  }
  await b.sh(toolScript({ pre: `${MD_MODULES}\n${pre}`, argv: args, label: `mdadm: ${name}` }), LONG);
}

async function mdDetail(b: ApplianceBackend, md: string): Promise<Record<string, string>> {
  const out = await b.shText(toolScript({ pre: `${MD_MODULES}\n${deviceInto('d', md)}`, argv: ['mdadm', '-D', '--export', v('d')] }));
  const res: Record<string, string> = {};
  for (const l of lines(out.trim())) {
    const eq = l.indexOf('=');
    const rawKey = eq < 0 ? l : l.slice(0, eq);
    // MD_DEVICE_dev_vdb_ROLE names the member as the guest kernel does: say /dev/sdb, as callers do.
    const key = (rawKey.startsWith('MD_') ? rawKey.slice(3) : rawKey).toLowerCase().replace(/_dev_vd([a-z]+\d*)_/, '_dev_sd$1_');
    let value = eq < 0 ? '' : l.slice(eq + 1);
    if (/^\/dev\/vd[a-z]+\d*$/.test(value)) value = fromGuestDev(value);
    res[key] = value;
  }
  return res;
}

/** /proc/mdstat's line for md: each "NAME[INDEX](FLAGS)" member. */
export function parseMdstatLine(line: string): { mdstat_device: string; mdstat_index: number; mdstat_flags: string }[] {
  const res: { mdstat_device: string; mdstat_index: number; mdstat_flags: string }[] = [];
  for (const w of line.split(' ')) {
    const p = w.indexOf('[');
    const q = w.indexOf(']');
    if (p < 0 || q < 0 || p > q) continue;
    if (p === 0) throw new ErrnoError('EIO', `device entry is too short: ${w}`);
    const idx = /^[+-]?\d+/.exec(w.slice(p + 1, q));
    if (!idx) throw new ErrnoError('EIO', `not a device number: ${w.slice(p + 1, q)}`);
    res.push({ mdstat_device: fromGuestDev(`/dev/${w.slice(0, p)}`), mdstat_index: Number(idx[0]), mdstat_flags: w.slice(q + 1).replace(/[^A-Za-z]/g, '') });
  }
  return res;
}

async function mdStat(b: ApplianceBackend, md: string): Promise<ReturnType<typeof parseMdstatLine>> {
  const name = md.replace(/^\/dev\//, '');
  const out = await b.shText(`${MD_MODULES}\ncat /proc/mdstat`);
  const line = out.split('\n').find((l) => l.startsWith(`${name} : `));
  if (line === undefined) throw new ErrnoError('ENOENT', `${name}: MD device not found`);
  return parseMdstatLine(line.slice(name.length + 3));
}

async function mdStop(b: ApplianceBackend, md: string): Promise<void> {
  await b.sh(toolScript({ pre: `${MD_MODULES}\n${deviceInto('d', md)}`, argv: ['mdadm', '--stop', v('d')] }));
}

// ---------------------------------------------------------------- luks

/** Script lines writing each key to its own key file ($k0, $k1, ...), removed when the script exits. */
function keyFiles(keys: string[]): { pre: string; stdin: Uint8Array } {
  // The keys travel on stdin, NUL-separated, so they never appear in a script or a process list.
  const pre = keys.map((_, i) => `k${i}=$(mktemp /tmp/luks.XXXXXX)`).join('\n');
  const split = keys.map((_, i) => `tr '\\000' '\\n' </tmp/.keys | sed -n ${i + 1}p | tr -d '\\n' >"$k${i}"`).join('\n');
  return {
    pre: `cat >/tmp/.keys
${pre}
trap 'rm -f /tmp/.keys${keys.map((_, i) => ` "$k${i}"`).join('')}' EXIT
${split}`,
    stdin: Buffer.from(keys.map((k) => `${k}\0`).join(''), 'utf8'),
  };
}

function checkKey(key: string): void {
  if (key.includes('\n') || key.includes('\0')) throw new ErrnoError('EINVAL', 'a key may not contain a newline or NUL character');
}

async function cryptsetup(b: ApplianceBackend, keys: string[], dev: string, build: (d: Word, k: Word[]) => Word[], label?: string): Promise<string> {
  keys.forEach(checkKey);
  const kf = keyFiles(keys);
  // toolScript's final `cat /tmp/.out` runs before the EXIT trap removes the key files.
  return b.shText(toolScript({
    pre: `${CRYPT_MODULES}\n${deviceInto('d', dev)}\n${kf.pre}`,
    argv: build(v('d'), keys.map((_, i) => v(`k${i}`))),
    label,
  }), { stdin: kf.stdin, ...LONG });
}

async function luksFormat(b: ApplianceBackend, dev: string, key: string, keyslot: number, cipher?: string): Promise<void> {
  await cryptsetup(b, [key], dev, (d, [k]) => [
    'cryptsetup', '-q', ...(cipher === undefined ? [] : ['--cipher', cipher]), '--key-slot', String(keyslot), 'luksFormat', d, k!,
  ]);
}

async function luksAddKey(b: ApplianceBackend, dev: string, key: string, newkey: string, keyslot: number): Promise<void> {
  await cryptsetup(b, [key, newkey], dev, (d, [k, nk]) => ['cryptsetup', '-q', '-d', k!, '--key-slot', String(keyslot), 'luksAddKey', d, nk!]);
}

async function luksKillSlot(b: ApplianceBackend, dev: string, key: string, keyslot: number): Promise<void> {
  await cryptsetup(b, [key], dev, (d, [k]) => ['cryptsetup', '-q', '-d', k!, 'luksKillSlot', d, String(keyslot)]);
}

async function luksUuid(b: ApplianceBackend, dev: string): Promise<string> {
  return (await cryptsetup(b, [], dev, (d) => ['cryptsetup', 'luksUUID', d])).trim();
}

export interface CryptsetupOpenOptions {
  readonly?: boolean; crypttype?: string; cipher?: string;
}

async function cryptsetupOpen(b: ApplianceBackend, dev: string, key: string, mapname: string, o: CryptsetupOpenOptions = {}): Promise<void> {
  const mapper = `/dev/mapper/${mapname}`;
  let type = o.crypttype;
  if (type === undefined) {
    const out = await b.shText(`${deviceInto('d', dev)}\n[ -b ${sq(mapper)} ] && echo EXISTS\n/usr/sbin/blkid -c /dev/null -o value -s TYPE "$d"; :`);
    if (out.includes('EXISTS')) throw new ErrnoError('EEXIST', `${mapper}: device already exists`);
    const t = lines(out)[0] ?? '';
    type = t === 'crypto_LUKS' ? 'luks' : t === 'BitLocker' ? 'bitlk' : undefined;
    if (!type) throw new ErrnoError('EINVAL', `${t}: unknown encrypted device type`);
  }
  await cryptsetup(b, [key], dev, (d, [k]) => [
    'cryptsetup', '-d', k!, ...(o.readonly ? ['--readonly'] : []), 'open', d, mapname, '--type', type!, ...(o.cipher === undefined ? [] : ['--cipher', o.cipher]),
  ]);
}

async function cryptsetupClose(b: ApplianceBackend, device: string): Promise<void> {
  if (!device.startsWith('/dev/mapper/')) throw new ErrnoError('EINVAL', `${device}: you must call this on the /dev/mapper device created by cryptsetup-open`);
  const mapname = device.slice('/dev/mapper/'.length);
  await b.sh(toolScript({ pre: CRYPT_MODULES, argv: ['cryptsetup', 'close', mapname] }));
}


export const mdLuksOps = {
  mdCreate, mdDetail, mdStat, mdStop,
  luksFormat: (b: ApplianceBackend, dev: string, key: string, keyslot: number) => luksFormat(b, dev, key, keyslot),
  luksFormatCipher: luksFormat,
  luksAddKey, luksKillSlot, luksUuid, cryptsetupOpen, cryptsetupClose,
};
