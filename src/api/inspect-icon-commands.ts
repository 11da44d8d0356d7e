/**
 * inspect-get-icon: the guest's logo as libguestfs finds it: /etc/favicon.png first,
 * then a PNG at a path known per distro, checked to be a PNG of 16-1024 pixels a
 * side and of a reasonable size. The guest's filesystems must be mounted. Icons that
 * libguestfs makes with host programs (CirrOS's text logo through pbmtext, Windows's
 * explorer.exe resources through wrestool) are not made: the answer is then an
 * empty buffer, as from a libguestfs built without those programs.
 */
import { defineCommand, type CallContext } from './types.js';

/** The distro's icon paths, in the order tried, and the largest file accepted (0: 4 bytes a pixel). */
function distroIcons(distro: string, major: number, highquality: boolean): { paths: string[]; maxSize: number } {
  switch (distro) {
    case 'fedora':
      return { paths: ['/usr/share/icons/hicolor/96x96/apps/fedora-logo-icon.png'], maxSize: 0 };
    case 'rhel': case 'redhat-based': case 'centos': case 'scientificlinux': case 'oraclelinux':
      return { paths: [major < 7 ? '/usr/share/pixmaps/redhat/shadowman-transparent.png' : '/usr/share/pixmaps/fedora-logo-sprite.png'], maxSize: 102400 };
    case 'debian':
      return { paths: ['/usr/share/pixmaps/debian-logo.png'], maxSize: 2048 };
    case 'ubuntu':
      // Both are small, low-quality icons.
      return highquality ? { paths: [], maxSize: 0 } : { paths: ['/usr/share/icons/gnome/24x24/places/ubuntu-logo.png', '/usr/share/help/C/ubuntu-help/figures/ubuntu-logo.png'], maxSize: 2048 };
    case 'mageia':
      return { paths: ['/usr/share/icons/mageia.png'], maxSize: 2048 };
    case 'suse-based': case 'opensuse': case 'sles':
      return { paths: ['/usr/share/icons/hicolor/24x24/apps/distributor.png'], maxSize: 2048 };
    case 'voidlinux':
      return { paths: ['/usr/share/void-artwork/void-logo.png'], maxSize: 20480 };
    case 'altlinux':
      return { paths: ['/usr/share/icons/hicolor/48x48/apps/altlinux.png'], maxSize: 20480 };
    default:
      return { paths: [], maxSize: 0 };
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk, or undefined when the bytes are not a PNG. */
function pngSize(b: Uint8Array): { w: number; h: number } | undefined {
  if (b.length < 24 || !PNG_SIGNATURE.every((x, i) => b[i] === x)) return undefined;
  if (Buffer.from(b.subarray(12, 16)).toString('latin1') !== 'IHDR') return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { w: dv.getUint32(16), h: dv.getUint32(20) };
}

/** The PNG at path when it is a reasonable icon, else undefined (not an error: the next place is tried). */
async function reasonablePng(ctx: CallContext, path: string, maxSize: number): Promise<Uint8Array | undefined> {
  if (!(await ctx.call('is-file', [path], { followsymlinks: true }))) return undefined;
  let real: string;
  try {
    real = (await ctx.call('realpath', [path])) as string;
  } catch {
    return undefined; // a broken link
  }
  const head = (await ctx.call('pread', [real, 24, 0])) as Uint8Array;
  const size = pngSize(head);
  if (!size || size.w < 16 || size.h < 16 || size.w > 1024 || size.h > 1024) return undefined;
  const limit = maxSize || 4 * size.w * size.h;
  if (((await ctx.call('filesize', [real])) as number) > limit) return undefined;
  return (await ctx.call('read-file', [real])) as Uint8Array;
}

export const inspectGetIcon = defineCommand({
  name: 'inspect-get-icon',
  args: [{ name: 'root', kind: 'String' }],
  optargs: [{ name: 'favicon', kind: 'Bool' }, { name: 'highquality', kind: 'Bool' }],
  ret: 'buffer',
  shortdesc: 'get the icon corresponding to this operating system',
  longdesc: `Returns the guest's icon as PNG bytes, or an empty buffer when none is found (not an error). Looks at
/etc/favicon.png first (unless favicon:false), then where the distro keeps its logo (Fedora, RHEL and its
clones, Debian, Ubuntu, Mageia, openSUSE/SLES, Void, ALT). A PNG counts when it is 16 to 1024 pixels a
side and not too large a file. highquality:true skips the favicon and Ubuntu's small icons. The guest's
filesystems must be mounted (inspect-os, then mount its mountpoints). Windows icons (extracted by libguestfs
from explorer.exe with wrestool) and CirrOS's text logo are not made: an empty buffer.`,
  examples: ['inspect-get-icon /dev/sda2', 'inspect-get-icon /dev/sda2 highquality:true'],
  impl: {
    any: async (ctx, [root], o) => {
      const type = (await ctx.call('inspect-get-type', [root])) as string;
      const distro = (await ctx.call('inspect-get-distro', [root])) as string;
      const highquality = !!o.highquality;
      if ((o.favicon ?? true) && !highquality) {
        const path = type === 'windows' ? await caseSensitive(ctx, '/etc/favicon.png') : '/etc/favicon.png';
        const fav = await reasonablePng(ctx, path, 0);
        if (fav) return fav;
      }
      if (type === 'linux' || type === 'hurd') {
        const major = (await ctx.call('inspect-get-major-version', [root])) as number;
        const { paths, maxSize } = distroIcons(distro, major, highquality);
        for (const p of paths) {
          const icon = await reasonablePng(ctx, p, maxSize);
          if (icon) return icon;
        }
      }
      return new Uint8Array(0);
    },
  },
});

async function caseSensitive(ctx: CallContext, path: string): Promise<string> {
  try {
    return (await ctx.call('case-sensitive-path', [path])) as string;
  } catch {
    return path;
  }
}

export const INSPECT_ICON_COMMANDS = [inspectGetIcon] as const;
