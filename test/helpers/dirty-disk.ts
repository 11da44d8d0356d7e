/**
 * A small MBR disk whose free space is dirty, as a used guest's is: sda1 ext4
 * from which a 6 MiB file of random bytes was deleted (the blocks keep their
 * bytes), sda2 a Linux swap area (label SWAPL, fixed UUID) full of random
 * pages. Made from plain files: mke2fs -d, mkswap, sfdisk, dd; the deletion
 * through guestkit's wasm backend.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './cli.js';

export const SWAP_UUID = '5a5a5a5a-1111-2222-3333-444444444444';
const MiB = 1024 * 1024;

function dd(src: string, dst: string, seekMiB: number): void {
  execFileSync('dd', [`if=${src}`, `of=${dst}`, 'bs=1M', `seek=${seekMiB}`, 'conv=notrunc,sparse', 'status=none']);
}

/** Writes DIR/dirty.img (40 MiB: sda1 ext4 at 1 MiB, 24 MiB; sda2 swap at 25 MiB, 14 MiB) and returns its path. */
export async function makeDirtyDisk(dir: string): Promise<string> {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'hostname'), 'dirty\n');
  writeFileSync(join(tree, 'keep.bin'), randomBytes(512 * 1024));
  writeFileSync(join(tree, 'junk.bin'), randomBytes(6 * MiB));
  const ext = join(dir, 'p1.ext4');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'root', '-d', tree, ext, '24M']);
  const swap = join(dir, 'p2.swap');
  writeFileSync(swap, randomBytes(14 * MiB));
  execFileSync('mkswap', ['-L', 'SWAPL', '-U', SWAP_UUID, swap], { stdio: 'ignore' });
  const disk = join(dir, 'dirty.img');
  execFileSync('truncate', ['-s', '40M', disk]);
  execFileSync('sfdisk', ['-q', disk], { input: 'label: dos\nstart=2048, size=49152, type=83\nstart=51200, size=28672, type=82\n' });
  dd(ext, disk, 1);
  dd(swap, disk, 25);
  const rm = await runCli(['fish', '--backend=wasm', '-a', disk, '-m', '/dev/sda1', 'rm', '/junk.bin']);
  if (rm.status !== 0) throw new Error(`rm failed: ${rm.err}`);
  return disk;
}
