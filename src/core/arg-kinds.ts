/**
 * Argument kinds validate (and normalise) once, here, so implementations never
 * re-check: a Pathname is absolute, a Device names /dev/sdX[N], and so on.
 */
import { ErrnoError } from '../errors/index.js';
import type { ArgDef, ArgKind, ListKind, OptArgDef } from '../api/types.js';
import { btrfsvol, splitBtrfsvol } from './mountable.js';

const DEVICE_RE = /^\/dev\/(?:sd|vd|hd|xvd)([a-z]+)(\d*)$/;

const LV_RE = /^\/dev\/(?:mapper\/[^/]+|[^/]+\/[^/]+)$/;

/** Linux software RAID arrays (md-create, list-md-devices). */
const MD_RE = /^\/dev\/md\d+$/;

/**
 * libguestfs accepts /dev/vda1, /dev/hda1, /dev/xvda1 for /dev/sda1; LVs are
 * /dev/VG/LV or /dev/mapper/VG-LV, md arrays /dev/mdN (the backend knows which exist).
 */
export function normaliseDevice(name: string): string | undefined {
  const m = DEVICE_RE.exec(name);
  if (m) return `/dev/sd${m[1]}${m[2]}`;
  return LV_RE.test(name) || MD_RE.test(name) ? name : undefined;
}

function typeError(arg: string, expected: string, value: unknown): ErrnoError {
  return new ErrnoError('EINVAL', `${arg}: expecting ${expected}, got ${JSON.stringify(value)}`);
}

/** The element kind of each list kind whose elements validate one by one. */
const LIST_ELEMENT: Partial<Record<ListKind, ArgKind>> = { DeviceList: 'Device', PathnameList: 'Pathname' };

export function validateArg(def: ArgDef, value: unknown): unknown {
  const k: ArgKind = def.kind;
  switch (k) {
    case 'Int':
    case 'Int64':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(def.name, 'an integer', value);
      if (k === 'Int' && (value > 2147483647 || value < -2147483648)) throw new ErrnoError('EINVAL', `${def.name}: integer out of range`);
      return value;
    case 'Bool':
      if (typeof value !== 'boolean') throw typeError(def.name, 'a boolean', value);
      return value;
    case 'StringList':
    case 'DeviceList':
    case 'FilenameList':
    case 'PathnameList':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw typeError(def.name, 'a list of strings', value);
      return validateList(def.name, k, value as string[]);
    case 'OptString':
      if (value !== null && typeof value !== 'string') throw typeError(def.name, 'a string or null', value);
      return value;
    case 'BufferIn':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw typeError(def.name, 'a string or bytes', value);
      return value;
    default:
      break;
  }
  if (typeof value !== 'string') throw typeError(def.name, 'a string', value);
  return validateString(def.name, k, value);
}

/** Each element as its single kind; a FilenameList's as libguestfs checks names in a directory. */
function validateList(name: string, kind: ListKind, list: string[]): string[] {
  if (kind === 'FilenameList') {
    const bad = list.find((n) => n.includes('/'));
    if (bad !== undefined) throw new ErrnoError('EINVAL', `${name}: '${bad}' is not a file name`);
    return list;
  }
  const element = LIST_ELEMENT[kind];
  return element ? list.map((v) => validateString(name, element, v) as string) : list;
}

function validateString(name: string, k: ArgKind, value: string): unknown {
  switch (k) {
    case 'Pathname':
      if (!value.startsWith('/')) throw new ErrnoError('EINVAL', `${value}: path must start with a / character`);
      if (value.includes('\0')) throw new ErrnoError('EINVAL', `${name}: path contains a NUL byte`);
      return value;
    case 'Device':
    case 'Mountable': {
      const vol = splitBtrfsvol(value);
      if (vol) {
        const device = normaliseDevice(vol.device);
        if (!device) throw new ErrnoError('EINVAL', `${value}: No such file or directory`);
        return btrfsvol({ device, subvol: vol.subvol });
      }
      const d = normaliseDevice(value);
      if (!d) throw new ErrnoError('EINVAL', `${value}: No such file or directory`);
      return d;
    }
    case 'GUID':
      // libguestfs checks the shape only (any case, no braces).
      if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value)) {
        throw new ErrnoError('EINVAL', `${name}: parameter is not a valid GUID`);
      }
      return value;
    case 'Dev_or_Path':
      if (value.startsWith('/dev/')) return normaliseDevice(value) ?? value;
      if (!value.startsWith('/')) throw new ErrnoError('EINVAL', `${value}: path must start with a / character`);
      return value;
    default:
      return value;
  }
}

export function validateOptArg(def: OptArgDef, value: unknown): unknown {
  return validateArg({ name: def.name, kind: def.kind }, value);
}
