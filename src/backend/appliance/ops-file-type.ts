/**
 * Appliance operations for file(1) and for decompressing guest files: the
 * appliance carries file and its magic database (appliance/binaries.txt), so
 * ELF details and `-z` work as in libguestfs; decompressors run in the VM.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript } from './ops-common.js';
import { existingPath } from './ops-file-make.js';

const NO_FILE = `ENOTSUP ${sq('file(1) is not in the appliance: install the Debian packages file and libmagic-mgc')}`;

/** `file -zb` on a regular guest file (path already known to be one). */
async function fileRegular(b: ApplianceBackend, path: string): Promise<string> {
  const out = await b.shText(`${existingPath(path, 0)}\n[ -f /usr/lib/file/magic.mgc ] && command -v file >/dev/null || die ${NO_FILE}\nfile -m /usr/lib/file/magic.mgc -zb -- "$RP"`);
  return out.replace(/\n$/, '');
}

/** `file -zbsL` on a device: its contents described, as libguestfs does for a device argument. */
async function fileDevice(b: ApplianceBackend, dev: string): Promise<string> {
  const out = await b.shText(`${devScript(dev)}\n[ -f /usr/lib/file/magic.mgc ] && command -v file >/dev/null || die ${NO_FILE}\nfile -m /usr/lib/file/magic.mgc -zbsL -- "$d"`);
  return out.replace(/\n$/, '');
}

/** Decompressors by kind, run in the VM (busybox has gunzip, bunzip2, unxz; zstd is a program). */
const DECOMPRESS: Record<string, string> = { gzip: 'gzip -dc', bzip2: 'bzip2 -dc', xz: 'xz -dc', zstd: 'zstd -dcq' };

/** The decompressed bytes of a guest file compressed as `kind`. */
async function decompressFile(b: ApplianceBackend, path: string, kind: string): Promise<Buffer> {
  const cmd = DECOMPRESS[kind];
  if (!cmd) throw new ErrnoError('EINVAL', `${kind}: unknown compression`);
  const prog = cmd.split(' ')[0]!;
  return b.sh(`${existingPath(path)}\ncommand -v ${prog} >/dev/null || die ENOTSUP ${sq(`${prog} is not in the appliance`)}\n${cmd} < "$RP"`);
}

export const fileTypeOps = { fileRegular, fileDevice, decompressFile };
