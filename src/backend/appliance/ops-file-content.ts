/**
 * Appliance operations for the file-content commands that must run next to the
 * file: offset reads and writes, disk usage and realpath. The rest of that family
 * is computed on the host from read-file.
 */
import { sq, type ApplianceBackend } from './appliance-backend.js';

/** Lines that resolve PATH into $RP and require an existing regular file. */
function regularFile(path: string): string {
  return `rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ ! -d "$RP" ] || die EISDIR ${sq(`${path}: Is a directory`)}`;
}

async function pread(b: ApplianceBackend, path: string, count: number, offset: number): Promise<Uint8Array> {
  if (count === 0) return new Uint8Array(0);
  return b.sh(`${regularFile(path)}
dd if="$RP" bs=65536 skip=${Math.trunc(offset)} count=${Math.trunc(count)} iflag=skip_bytes,count_bytes,fullblock 2>/dev/null`);
}

async function pwrite(b: ApplianceBackend, path: string, content: Uint8Array | string, offset: number): Promise<number> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (data.length === 0) {
    await b.sh(regularFile(path));
    return 0;
  }
  await b.sh(`${regularFile(path)}
dd of="$RP" bs=65536 seek=${Math.trunc(offset)} oflag=seek_bytes conv=notrunc 2>/dev/null`, { stdin: data });
  return data.length;
}

async function du(b: ApplianceBackend, path: string): Promise<number> {
  const out = await b.shText(`rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
du -s -k "$RP"`);
  return Number(out.split(/\s/)[0]);
}

async function realpath(b: ApplianceBackend, path: string): Promise<string> {
  const out = await b.shText(`rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
printf '%s\\n' "\${RP#/sysroot}"`);
  return out.replace(/\n$/, '') || '/';
}

export const fileContentOps = { pread, pwrite, du, realpath };
