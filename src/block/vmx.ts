/**
 * VMware .vmx configuration files as drive lists: `-a guest.vmx` adds the
 * guest's hard disks. The file is `key = "value"` lines (keys case-insensitive);
 * a disk is a device `<bus><N>:<M>` (scsi, sata, ide, nvme) that is present,
 * is a hard disk (deviceType absent or a *disk* type) and has a fileName. Disks
 * come in bus order (scsi, sata, ide, nvme, as virt-v2v lists them), then
 * controller, then unit. Names are relative to the .vmx's directory; when the
 * exact name is missing a case-insensitive match is taken, since VMware on
 * case-insensitive datastores writes names whatever their case on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ImageError } from '../errors/index.js';

const BUSES = ['scsi', 'sata', 'ide', 'nvme'] as const;

/** True for a local path naming a .vmx file (compared case-insensitively). */
export function isVmxPath(file: string): boolean {
  return /\.vmx$/i.test(file) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(file);
}

/** The key/value pairs of a .vmx, keys lower-cased. Lines that are not `key = value` are skipped. */
export function parseVmx(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_.:-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    // VMware escapes special characters in values as |XX (hex).
    value = value.replace(/\|([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    out.set(m[1]!.toLowerCase(), value);
  }
  return out;
}

export interface VmxDisk {
  /** The device, e.g. scsi0:1. */
  device: string;
  /** fileName as the .vmx writes it. */
  fileName: string;
}

const isTrue = (v: string | undefined) => v !== undefined && v.toLowerCase() === 'true';

/** The hard disks a .vmx lists, in bus, controller and unit order. */
export function vmxDisks(vmx: Map<string, string>): VmxDisk[] {
  const found: Array<VmxDisk & { bus: number; controller: number; unit: number }> = [];
  for (const [key, fileName] of vmx) {
    const m = /^(scsi|sata|ide|nvme)(\d+):(\d+)\.filename$/.exec(key);
    if (!m || fileName === '') continue;
    const [, bus, controller, unit] = m;
    const device = `${bus}${controller}:${unit}`;
    if (!isTrue(vmx.get(`${device}.present`))) continue;
    const controllerPresent = vmx.get(`${bus}${controller}.present`);
    if (controllerPresent !== undefined && !isTrue(controllerPresent)) continue;
    const type = vmx.get(`${device}.devicetype`)?.toLowerCase();
    if (type !== undefined && (!type.includes('disk') || type.includes('cdrom'))) continue;
    found.push({ device, fileName, bus: BUSES.indexOf(bus as (typeof BUSES)[number]), controller: Number(controller), unit: Number(unit) });
  }
  found.sort((a, b) => a.bus - b.bus || a.controller - b.controller || a.unit - b.unit);
  return found.map(({ device, fileName }) => ({ device, fileName }));
}

/** `name` in `dir`, or the one entry whose name matches it case-insensitively (null: none, or several). */
function findCaseInsensitive(dir: string, name: string): string | null {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return null;
  }
  const lower = name.toLowerCase();
  const matches = entries.filter((e) => e.toLowerCase() === lower);
  return matches.length === 1 ? path.join(dir, matches[0]!) : null;
}

/** Resolves a disk's fileName against the .vmx's directory (case-insensitively when the exact name is missing). */
function resolveDisk(vmxPath: string, disk: VmxDisk): string {
  const exact = path.isAbsolute(disk.fileName) ? disk.fileName : path.join(path.dirname(vmxPath), disk.fileName);
  if (fs.existsSync(exact)) return exact;
  // Resolve each component in turn, so a directory named in another case is found too.
  let at = path.isAbsolute(disk.fileName) ? path.parse(disk.fileName).root : path.dirname(vmxPath);
  for (const part of disk.fileName.split(/[\\/]+/).filter((p) => p !== '')) {
    const next = fs.existsSync(path.join(at, part)) ? path.join(at, part) : findCaseInsensitive(at, part);
    if (next === null) throw new ImageError(vmxPath, `names disk ${disk.fileName} (${disk.device}), which is missing: No such file or directory`);
    at = next;
  }
  return at;
}

/** The local paths of the hard disks a .vmx file lists; one-line ImageErrors naming the .vmx. */
export function readVmxDisks(vmxPath: string): string[] {
  let text: string;
  try {
    const st = fs.statSync(vmxPath);
    if (!st.isFile()) throw new ImageError(vmxPath, 'is not a regular file');
    if (st.size > 4 * 1024 * 1024) throw new ImageError(vmxPath, 'is too large for a VMware .vmx file');
    text = fs.readFileSync(vmxPath, 'utf8');
  } catch (e) {
    if (e instanceof ImageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageError(vmxPath, code === 'ENOENT' ? 'No such file or directory' : (e as Error).message.split('\n')[0]!, { cause: e });
  }
  const disks = vmxDisks(parseVmx(text));
  if (disks.length === 0) throw new ImageError(vmxPath, 'lists no hard disks (no present scsiN:M / sataN:M / ideN:M / nvmeN:M disk with a fileName)');
  return disks.map((d) => resolveDisk(vmxPath, d));
}
