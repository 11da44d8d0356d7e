/**
 * Runs a host program that writes an image file (mke2fs, mkfs.vfat, mkntfs,
 * fallocate): none of them parses a guest filesystem or mounts anything. A
 * failure becomes one line naming the program and its last message.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GuestkitError } from '../errors/index.js';

const run = promisify(execFile);

/** Debian packages that provide the programs, for the "not found" message. */
const PACKAGES: Record<string, string> = {
  mke2fs: 'e2fsprogs',
  'mkfs.vfat': 'dosfstools',
  'mkfs.ntfs': 'ntfs-3g',
  fallocate: 'util-linux',
  xz: 'xz-utils',
  bzip2: 'bzip2',
};

export async function runHostProgram(program: string, args: readonly string[], log?: (line: string) => void): Promise<string> {
  log?.(`${program} ${args.join(' ')}`);
  try {
    return (await run(program, [...args], { maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      const pkg = PACKAGES[program];
      throw new GuestkitError('ECHILD_PROC', `${program} not found${pkg ? `: install the Debian package ${pkg}` : ''}`, { cause: e });
    }
    const lines = (err.stderr ?? err.message).trim().split('\n').filter((l) => l.trim() !== '');
    throw new GuestkitError('ECHILD_PROC', `${program} failed: ${lines.pop() ?? 'no message'}`, { cause: e });
  }
}
