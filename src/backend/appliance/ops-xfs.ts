/**
 * XFS administration on the appliance: xfs_info (parsed into libguestfs's xfsinfo
 * struct), xfs_admin and xfs_growfs, with the flags libguestfs's daemon passes.
 */
import { ErrnoError } from '../../errors/index.js';
import { type ApplianceBackend } from './appliance-backend.js';
import { fromGuestDev } from './ops-common.js';
import { deviceInto, LONG, pathInto, toolScript, v, type Word } from './ops-tool.js';

/** xfsinfo's fields in libguestfs's order; `true` marks the 64-bit ones (unset: 2^64-1, else 2^32-1). */
export const XFSINFO_FIELDS: readonly (readonly [string, 'string' | 'u32' | 'u64'])[] = [
  ['xfs_mntpoint', 'string'], ['xfs_inodesize', 'u32'], ['xfs_agcount', 'u32'], ['xfs_agsize', 'u32'],
  ['xfs_sectsize', 'u32'], ['xfs_attr', 'u32'], ['xfs_blocksize', 'u32'], ['xfs_datablocks', 'u64'],
  ['xfs_imaxpct', 'u32'], ['xfs_sunit', 'u32'], ['xfs_swidth', 'u32'], ['xfs_dirversion', 'u32'],
  ['xfs_dirblocksize', 'u32'], ['xfs_cimode', 'u32'], ['xfs_logname', 'string'], ['xfs_logblocksize', 'u32'],
  ['xfs_logblocks', 'u32'], ['xfs_logversion', 'u32'], ['xfs_logsectsize', 'u32'], ['xfs_logsunit', 'u32'],
  ['xfs_lazycount', 'u32'], ['xfs_rtname', 'string'], ['xfs_rtextsize', 'u32'], ['xfs_rtblocks', 'u64'],
  ['xfs_rtextents', 'u64'],
];

const UNSET = { u32: '4294967295', u64: '18446744073709551615' } as const;

/** Up to the first comma, equals sign or space (how the daemon cuts a value). */
function token(s: string): string {
  return /^[^ ,=]*/.exec(s)![0];
}

function num(s: string): string {
  const m = /^\s*[+-]?\d+/.exec(s);
  if (!m) throw new ErrnoError('EIO', `cannot parse numeric field from xfs_info: ${s}`);
  return String(BigInt(m[0].trim()));
}

/**
 * xfs_info's output as libguestfs reads it: every "name=value" it knows, the
 * section (first column) deciding which field sectsz, bsize, blocks and sunit fill.
 * Fields it does not find stay unset (-1 as the unsigned type prints it, or "").
 */
export function parseXfsInfo(out: string): Record<string, string | number> {
  const r: Record<string, string> = {};
  let section = '';
  const take = (line: string, key: string): string | undefined => {
    const at = line.indexOf(key);
    return at < 0 ? undefined : token(line.slice(at + key.length));
  };
  for (const line of out.split('\n')) {
    if (/^[A-Za-z]/.test(line)) section = token(line);
    const set = (key: string, field: string, ok = true) => {
      const t = take(line, key);
      if (t !== undefined && ok) r[field] = num(t);
    };
    const mnt = take(line, 'meta-data=');
    if (mnt !== undefined) r.xfs_mntpoint = mnt;
    set('isize=', 'xfs_inodesize');
    set('agcount=', 'xfs_agcount');
    set('agsize=', 'xfs_agsize');
    set('sectsz=', section === 'log' ? 'xfs_logsectsize' : 'xfs_sectsize', section === 'meta-data' || section === 'log');
    set('attr=', 'xfs_attr');
    set('bsize=', { data: 'xfs_blocksize', naming: 'xfs_dirblocksize', log: 'xfs_logblocksize' }[section] ?? '', ['data', 'naming', 'log'].includes(section));
    set('blocks=', { data: 'xfs_datablocks', log: 'xfs_logblocks', realtime: 'xfs_rtblocks' }[section] ?? '', ['data', 'log', 'realtime'].includes(section));
    set('imaxpct=', 'xfs_imaxpct');
    set('sunit=', section === 'log' ? 'xfs_logsunit' : 'xfs_sunit', section === 'data' || section === 'log');
    set('swidth=', 'xfs_swidth');
    set('naming   =version ', 'xfs_dirversion');
    set('ascii-ci=', 'xfs_cimode');
    const log = take(line, 'log      =');
    if (log !== undefined) r.xfs_logname = log;
    set('version=', 'xfs_logversion');
    set('lazy-count=', 'xfs_lazycount');
    const rt = take(line, 'realtime =');
    if (rt !== undefined) r.xfs_rtname = rt;
    set('rtextents=', 'xfs_rtextents');
  }
  const res: Record<string, string | number> = {};
  for (const [f, kind] of XFSINFO_FIELDS) {
    const val = r[f];
    if (kind === 'string') res[f] = val ?? '';
    else if (val === undefined) res[f] = UNSET[kind];
    else {
      // A 32-bit field keeps its low 32 bits, as the daemon's uint32_t does.
      const n = kind === 'u32' ? BigInt.asUintN(32, BigInt(val)) : BigInt.asUintN(64, BigInt(val));
      res[f] = n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
  }
  return res;
}

async function xfsInfo(b: ApplianceBackend, pathordevice: string): Promise<Record<string, string | number>> {
  const pre = pathordevice.startsWith('/dev/') ? deviceInto('p', pathordevice) : pathInto('p', pathordevice);
  const out = await b.shText(toolScript({ pre: `needfs xfs\n${pre}`, argv: ['xfs_info', v('p')] }));
  const res = parseXfsInfo(out);
  res.xfs_mntpoint = fromGuestDev(String(res.xfs_mntpoint));
  return res;
}

export interface XfsGrowfsOptions {
  datasec?: boolean; logsec?: boolean; rtsec?: boolean;
  datasize?: number; logsize?: number; rtsize?: number; rtextsize?: number; maxpct?: number;
}

async function xfsGrowfs(b: ApplianceBackend, path: string, o: XfsGrowfsOptions = {}): Promise<void> {
  const args: Word[] = ['xfs_growfs'];
  if (o.datasec) args.push('-d');
  if (o.logsec) args.push('-l');
  if (o.rtsec) args.push('-r');
  const sized: [keyof XfsGrowfsOptions, string][] = [['datasize', '-D'], ['logsize', '-L'], ['rtsize', '-R'], ['rtextsize', '-e'], ['maxpct', '-m']];
  for (const [k, flag] of sized) {
    const n = o[k] as number | undefined;
    if (n === undefined) continue;
    if (n < 0) throw new ErrnoError('EINVAL', `${k} must be >= 0`);
    args.push(flag, String(Math.trunc(n)));
  }
  await b.sh(toolScript({ pre: `needfs xfs\n${pathInto('p', path)}`, argv: [...args, v('p')], label: path }), LONG);
}

export interface XfsAdminOptions {
  extunwritten?: boolean; imgfile?: boolean; v2log?: boolean; projid32bit?: boolean;
  lazycounter?: boolean; label?: string; uuid?: string;
}

/** XFS labels hold at most 12 bytes. */
const XFS_LABEL_MAX = 12;

async function xfsAdmin(b: ApplianceBackend, device: string, o: XfsAdminOptions = {}): Promise<void> {
  const args: Word[] = ['xfs_admin'];
  if (o.extunwritten) args.push('-e');
  if (o.imgfile) args.push('-f');
  if (o.v2log) args.push('-j');
  if (o.projid32bit) args.push('-p');
  if (o.lazycounter !== undefined) args.push('-c', o.lazycounter ? '1' : '0');
  if (o.label !== undefined) {
    if (Buffer.byteLength(o.label) > XFS_LABEL_MAX) throw new ErrnoError('EINVAL', `${o.label}: xfs labels are limited to ${XFS_LABEL_MAX} bytes`);
    args.push('-L', o.label);
  }
  if (o.uuid !== undefined) args.push('-U', o.uuid);
  await b.sh(toolScript({ pre: `needfs xfs\n${deviceInto('d', device)}`, argv: [...args, v('d')], label: device, foldStdout: true }), LONG);
}

export const xfsOps = { xfsInfo, xfsGrowfs, xfsAdmin };
