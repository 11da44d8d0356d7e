/**
 * Block and filesystem tools on the appliance that libguestfs runs one program
 * for: mksquashfs, resize.f2fs, scrub, sfdisk's geometry, ntfsclone, syslinux,
 * extlinux, the LVM device filter, loop mounts, remounts and appliance mountpoints.
 */
import type { Writable } from 'node:stream';
import { ErrnoError } from '../../errors/index.js';
import { readHostChunks } from '../../util/host-chunks.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { lines } from './ops-common.js';
import { UPLOAD_CHUNK } from './ops-files.js';
import { deviceInto, devicesInto, LONG, pathInto, TOOL_OUTPUT, toolScript, v, type Word } from './ops-tool.js';

async function mksquashfs(b: ApplianceBackend, path: string, sink: Writable, compress?: string, excludes?: string[]): Promise<void> {
  const args: Word[] = ['mksquashfs', v('p'), v('f'), '-noappend', '-root-becomes', v('p'), '-wildcards', '-no-recovery'];
  if (compress !== undefined) args.push('-comp', compress);
  const ex = excludes === undefined ? '' : `printf '%s\\n' ${excludes.map(sq).join(' ') || "''"} >/tmp/.sqexcl`;
  if (excludes !== undefined) args.push('-ef', '/tmp/.sqexcl');
  // The image is staged in the appliance's tmpfs and streamed; the agent deletes /tmp/.stream.* once sent.
  await b.get(`${pathInto('p', path)}
f=/tmp/.stream.squashfs
${ex}
${toolScript({ argv: args, label: path }).slice(0, -TOOL_OUTPUT.length)}
echo "$f"`, sink, LONG.timeoutMs);
}

async function f2fsExpand(b: ApplianceBackend, device: string): Promise<void> {
  await b.sh(toolScript({ pre: `needmod f2fs\n${deviceInto('d', device)}`, argv: ['resize.f2fs', v('d')], foldStdout: true }), LONG);
}

/**
 * Writes the LVM configuration the appliance's lvm reads, accepting only these
 * filters, around a deactivation and a rescan as libguestfs does. Every lvm call
 * takes the agent's $LVM_CONFIG (no udev in the appliance: without it lvm waits for udev).
 */
function lvmFilterScript(filters: string[]): string {
  const list = filters.map((f) => `"${f}"`).join(',\n        ');
  const conf = `devices {\n    use_devicesfile = 0\n${['filter', 'global_filter'].map((t) => `    ${t} = [\n        ${list}\n    ]\n`).join('')}}\n`;
  return `command -v lvm >/dev/null || die ENOTSUP 'lvm: the program is not in the appliance'
lvmup
mkdir -p /etc/lvm
lvm vgchange -an --config "$LVM_CONFIG" >/dev/null 2>&1
printf '%s' ${sq(conf)} >/etc/lvm/lvm.conf
rm -f /etc/lvm/cache/.cache /run/lvm/hints
lvm vgscan --cache --config "$LVM_CONFIG" >/tmp/.tool.out 2>/tmp/.tool.err || { printf 'vgscan: ' >&2; cat /tmp/.tool.err >&2; exit 1; }
lvm vgchange -ay --config "$LVM_CONFIG" >/dev/null 2>&1
lvm vgmknodes --config "$LVM_CONFIG" >/dev/null 2>&1; :`;
}

/** libguestfs's filter strings: the device itself, a whole disk also its partitions, nothing else. */
export function lvmFilters(devices: string[]): string[] {
  return devices.flatMap((d) => (/\d$/.test(d) ? [`a|^${d}$|`] : [`a|^${d}$|`, `a|^${d}[0-9]|`])).concat('r|.*|');
}

async function lvmSetFilter(b: ApplianceBackend, devices: string[]): Promise<void> {
  const { pre } = devicesInto('f', devices);
  // The filters name the devices as the appliance's kernel does (/dev/vdX).
  const out = await b.shText(`${pre}\n${devices.map((_, i) => `printf '%s\\n' "$f${i}"`).join('\n')}`);
  await b.sh(lvmFilterScript(lvmFilters(lines(out))));
}

async function lvmClearFilter(b: ApplianceBackend): Promise<void> {
  await b.sh(lvmFilterScript(['a/.*/']));
}

async function mountLoop(b: ApplianceBackend, file: string, mountpoint: string): Promise<void> {
  await b.sh(toolScript({
    pre: `needmod loop; needmod squashfs; needmod isofs\n${pathInto('f', file)}\n${pathInto('m', mountpoint)}`,
    argv: ['mount', '-o', 'loop', v('f'), v('m')],
    label: `${file} on ${mountpoint}`,
  }));
}

/** mkmountpoint / rmmountpoint: mkdir / rmdir below /sysroot even when nothing is mounted on /. */
async function mountpointDir(b: ApplianceBackend, path: string, make: boolean): Promise<void> {
  if (!path.startsWith('/')) throw new ErrnoError('EINVAL', `${path}: path must start with a / character`);
  await b.sh(`${pathInto('p', path, 0)}
${make ? 'mkdir' : 'rmdir'} "$p" 2>/tmp/.tool.err || { e=$(cat /tmp/.tool.err); case $e in
  *exists*) die EEXIST ${sq(`${path}: File exists`)} ;; *"No such"*) die ENOENT ${sq(`${path}: No such file or directory`)} ;;
  *"not empty"*) die ENOTEMPTY ${sq(`${path}: Directory not empty`)} ;; *) echo "$e" >&2; exit 1 ;; esac; }`);
}

async function remount(b: ApplianceBackend, mountpoint: string, rw?: boolean): Promise<void> {
  if (rw === undefined) throw new ErrnoError('EINVAL', "parameter 'rw' must be specified");
  const options = rw ? 'remount,rw' : 'remount,ro';
  await b.sh(toolScript({ pre: pathInto('m', mountpoint), argv: ['mount', '-o', options, v('m')], label: `${mountpoint}: ${options}` }));
}

async function scrubDevice(b: ApplianceBackend, device: string): Promise<void> {
  await b.sh(toolScript({ pre: deviceInto('d', device), argv: ['scrub', v('d')], label: device }), LONG);
}

async function scrubFreespace(b: ApplianceBackend, dir: string): Promise<void> {
  await b.sh(toolScript({ pre: pathInto('p', dir), argv: ['scrub', '-X', v('p')], label: dir }), LONG);
}

/** sfdisk FLAG DEVICE's output (-g kernel geometry, -G disk geometry), device names as the caller sees them. */
async function sfdiskFlag(b: ApplianceBackend, device: string, flag: string): Promise<string> {
  const out = await b.shText(toolScript({ pre: deviceInto('d', device), argv: ['sfdisk', flag, v('d')], label: device }));
  return out.replace(/\/dev\/vd(?=[a-z])/g, '/dev/sd');
}

export interface NtfscloneOutOptions {
  metadataonly?: boolean; rescue?: boolean; ignorefscheck?: boolean; preservetimestamps?: boolean; force?: boolean;
}

async function ntfscloneOut(b: ApplianceBackend, device: string, sink: Writable, o: NtfscloneOutOptions = {}): Promise<void> {
  const flags: string[] = [];
  if (o.metadataonly) flags.push('--metadata');
  if (o.rescue) flags.push('--rescue');
  if (o.ignorefscheck) flags.push('--ignore-fs-check');
  if (o.preservetimestamps) flags.push('--preserve-timestamps');
  if (o.force) flags.push('--force');
  await b.get(`${deviceInto('d', device)}
f=/tmp/.stream.ntfsclone
${toolScript({ argv: ['ntfsclone', '-o', v('f'), '--save-image', ...flags, v('d')] }).slice(0, -TOOL_OUTPUT.length)}
echo "$f"`, sink, LONG.timeoutMs);
}

async function ntfscloneIn(b: ApplianceBackend, local: string, device: string): Promise<void> {
  await b.sh(deviceInto('d', device));
  try {
    await readHostChunks(local, UPLOAD_CHUNK, async (chunk, offset) => {
      await b.sh(`cat ${offset === 0 ? '>' : '>>'} /tmp/.ntfsclone.in`, { stdin: chunk });
    });
    await b.sh(`${deviceInto('d', device)}
command -v ntfsclone >/dev/null || die ENOTSUP 'ntfsclone: the program is not in the appliance'
ntfsclone -O "$d" --restore-image /tmp/.ntfsclone.in </dev/null >/dev/null 2>/tmp/.tool.err || { printf '%s' ${sq(`ntfsclone subcommand failed on device: ${device}: `)} >&2; cat /tmp/.tool.err >&2; exit 1; }`, LONG);
  } finally {
    await b.sh('rm -f /tmp/.ntfsclone.in').catch(() => undefined);
  }
}

async function syslinux(b: ApplianceBackend, device: string, directory?: string): Promise<void> {
  const args: Word[] = ['syslinux', '--install', '--force'];
  if (directory !== undefined) args.push('--directory', directory);
  await b.sh(toolScript({ pre: `needfs vfat; needmod loop\n${deviceInto('d', device)}`, argv: [...args, v('d')] }), LONG);
}

async function extlinux(b: ApplianceBackend, directory: string): Promise<void> {
  await b.sh(toolScript({ pre: pathInto('p', directory), argv: ['extlinux', '--install', v('p')], label: directory }), LONG);
}

export const blockToolOps = {
  mksquashfs, f2fsExpand, lvmSetFilter, lvmClearFilter, mountLoop,
  mkmountpoint: (b: ApplianceBackend, path: string) => mountpointDir(b, path, true),
  rmmountpoint: (b: ApplianceBackend, path: string) => mountpointDir(b, path, false),
  remount, scrubDevice, scrubFreespace,
  sfdiskDiskGeometry: (b: ApplianceBackend, device: string) => sfdiskFlag(b, device, '-G'),
  sfdiskKernelGeometry: (b: ApplianceBackend, device: string) => sfdiskFlag(b, device, '-g'),
  ntfscloneOut, ntfscloneIn, syslinux, extlinux,
};
