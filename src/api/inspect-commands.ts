/** OS inspection: inspect-os finds the roots; inspect-get-* report what it found about each. */
import { inspectedRoot, saveInspection } from '../inspect/session.js';
import { APPLICATION2_FIELDS, type OsFacts } from '../inspect/types.js';
import { ErrnoError } from '../errors/index.js';
import { defineCommand, type CallContext } from './types.js';

/** Degraded facts go to the handle's verbose log (the tools' -v prints it). */
function warner(ctx: CallContext): (message: string) => void {
  return (message) => ctx.handle.log?.(`guestkit: inspect: ${message}`);
}

/** Inspection's code (and sql.js, which reads rpm databases) loads only when a command inspects. */
const inspection = () => import('../inspect/inspect-os.js');

export const inspectOsCommand = defineCommand({
  name: 'inspect-os',
  args: [],
  ret: 'strings',
  shortdesc: 'inspect disk and return list of operating systems found',
  longdesc: 'Finds the operating systems on the disks and returns their root filesystems (an empty list when there are none). '
    + 'Each filesystem is mounted read-only in turn and examined: /etc/os-release and the legacy release files, /etc/fstab, '
    + 'the ELF headers of its binaries and the package databases on Linux; the system root and the SOFTWARE and SYSTEM hives on Windows. '
    + 'Everything mounted beforehand is unmounted; nothing is written. Use the inspect-get-* commands to read the facts about each root.',
  examples: ['inspect-os'],
  impl: {
    any: async (ctx) => {
      const { inspectOs } = await inspection();
      const { roots, devices } = await inspectOs(ctx.call, warner(ctx), ctx.callMany);
      saveInspection(ctx.handle, roots, devices.filesystems);
      return roots.map((r) => r.root);
    },
  },
});

export const inspectGetRoots = defineCommand({
  name: 'inspect-get-roots',
  args: [],
  ret: 'strings',
  shortdesc: 'return list of operating systems found by last inspection',
  longdesc: 'Returns the roots the last inspect-os found, without inspecting again.',
  impl: {
    any: async (ctx) => {
      const roots = ctx.handle.sessions.get('inspect') as Map<string, OsFacts> | undefined;
      return [...(roots?.keys() ?? [])];
    },
  },
});

type Getter = (f: OsFacts) => unknown;

function getter<const N extends string, const R extends 'string' | 'int' | 'bool' | 'hash' | 'strings'>(
  name: N, ret: R, shortdesc: string, longdesc: string, get: Getter,
) {
  return defineCommand({
    name,
    args: [{ name: 'root', kind: 'String' }] as const,
    ret,
    shortdesc,
    longdesc: `${longdesc} ROOT must be a root returned by inspect-os.`,
    examples: [`${name} /dev/sda2`],
    impl: { any: async (ctx: CallContext, [root]: string[]) => get(inspectedRoot(ctx.handle, root!)) },
  });
}

function windowsOnly(f: OsFacts, value: string | undefined, what: string): string {
  if (f.type !== 'windows' || value === undefined) throw new ErrnoError('EINVAL', `${f.root}: not a Windows guest, or ${what} could not be determined`);
  return value;
}

export const inspectGetType = getter('inspect-get-type', 'string', 'get type of inspected operating system',
  'Returns linux, windows, freebsd, netbsd, openbsd, hurd, dos, minix or unknown.', (f) => f.type);
export const inspectGetDistro = getter('inspect-get-distro', 'string', 'get distro of inspected operating system',
  'Returns the distribution: fedora, rhel, centos, debian, ubuntu, archlinux, alpinelinux, opensuse, sles, windows, … or unknown.', (f) => f.distro);
export const inspectGetProductName = getter('inspect-get-product-name', 'string', 'get product name of inspected operating system',
  'Returns the product name as the OS states it (PRETTY_NAME on Linux, ProductName on Windows), or unknown.', (f) => f.productName);
export const inspectGetProductVariant = getter('inspect-get-product-variant', 'string', 'get product variant of inspected operating system',
  'Returns the variant (Client, Server on Windows), or unknown.', (f) => f.productVariant);
export const inspectGetMajorVersion = getter('inspect-get-major-version', 'int', 'get major version of inspected operating system',
  'Returns the major version number, 0 when unknown.', (f) => f.majorVersion);
export const inspectGetMinorVersion = getter('inspect-get-minor-version', 'int', 'get minor version of inspected operating system',
  'Returns the minor version number, 0 when unknown.', (f) => f.minorVersion);
export const inspectGetArch = getter('inspect-get-arch', 'string', 'get architecture of inspected operating system',
  "Returns the architecture of the OS's binaries (x86_64, i386, aarch64, …), or unknown.", (f) => f.arch);
export const inspectGetHostname = getter('inspect-get-hostname', 'string', 'get hostname of the operating system',
  'Returns the hostname configured in the guest, or unknown.', (f) => f.hostname);
export const inspectGetPackageFormat = getter('inspect-get-package-format', 'string', 'get package format used by the operating system',
  'Returns rpm, deb, pacman, apk, … or unknown.', (f) => f.packageFormat);
export const inspectGetPackageManagement = getter('inspect-get-package-management', 'string', 'get package management tool used by the operating system',
  'Returns dnf, yum, apt, pacman, apk, zypper, … or unknown.', (f) => f.packageManagement);
export const inspectGetFormat = { ...getter('inspect-get-format', 'string', 'get format of inspected operating system',
  'Returns installed, installer or unknown.', (f) => f.format), deprecatedBy: null };
export const inspectIsLive = { ...getter('inspect-is-live', 'bool', 'get live flag for install disk',
  'True for a live CD image (always false for installed systems).', (f) => f.isLive), deprecatedBy: null };
export const inspectGetOsinfo = getter('inspect-get-osinfo', 'string', 'get a possible osinfo short ID corresponding to this operating system',
  'Returns the libosinfo short id (debian12, fedora40, win10, …), or unknown.', (f) => f.osinfo);
export const inspectGetBuildId = getter('inspect-get-build-id', 'string', 'get the system build ID',
  'Returns the build id (Windows CurrentBuildNumber), or unknown.', (f) => f.buildId);
export const inspectGetMountpoints = getter('inspect-get-mountpoints', 'hash', 'get mountpoints of inspected operating system',
  "Returns mountpoint → filesystem, from the guest's /etc/fstab on Linux ({'/': root} on Windows).", (f) => ({ ...f.mountpoints }));
export const inspectGetFilesystems = getter('inspect-get-filesystems', 'strings', 'get filesystems associated with inspected operating system',
  'Returns every filesystem belonging to the OS, swap included.', (f) => [...f.filesystems]);
export const inspectGetDriveMappings = getter('inspect-get-drive-mappings', 'hash', 'get drive letter mappings',
  'Returns Windows drive letter → filesystem, from the SYSTEM hive (empty on other OSes).', (f) => ({ ...f.driveMappings }));
export const inspectGetWindowsSystemroot = getter('inspect-get-windows-systemroot', 'string', 'get Windows systemroot of inspected operating system',
  'Returns the system root directory as stored (e.g. /Windows). Windows only.', (f) => windowsOnly(f, f.windowsSystemroot, 'the systemroot'));
export const inspectGetWindowsCurrentControlSet = getter('inspect-get-windows-current-control-set', 'string', 'get Windows CurrentControlSet of inspected operating system',
  'Returns the current control set (e.g. ControlSet001). Windows only.', (f) => windowsOnly(f, f.windowsCurrentControlSet, 'the current control set'));
export const inspectGetWindowsSoftwareHive = getter('inspect-get-windows-software-hive', 'string', 'get the path of the Windows software hive',
  'Returns the guest path of the SOFTWARE hive. Windows only.', (f) => windowsOnly(f, f.windowsSoftwareHive, 'the software hive'));
export const inspectGetWindowsSystemHive = getter('inspect-get-windows-system-hive', 'string', 'get the path of the Windows system hive',
  'Returns the guest path of the SYSTEM hive. Windows only.', (f) => windowsOnly(f, f.windowsSystemHive, 'the system hive'));

export const inspectListApplications2 = defineCommand({
  name: 'inspect-list-applications2',
  args: [{ name: 'root', kind: 'String' }],
  ret: 'structs',
  fields: APPLICATION2_FIELDS,
  shortdesc: 'get list of applications installed in the operating system',
  longdesc: "Lists the applications installed in the OS: dpkg's status file, the rpm database, apk's and pacman's local databases "
    + 'on Linux; the Uninstall keys of the SOFTWARE hive (64- and 32-bit views) on Windows. '
    + "The OS's filesystems must be mounted at their mountpoints first (as guestfish -i does). A damaged database yields an empty list.",
  examples: ['inspect-list-applications2 /dev/sda2'],
  impl: {
    any: async (ctx, [root]) => {
      const facts = inspectedRoot(ctx.handle, root);
      const { listApplications } = await inspection();
      const apps = await listApplications(ctx.call, facts, warner(ctx), ctx.callMany);
      return apps as unknown as Record<string, string | number>[];
    },
  },
});
