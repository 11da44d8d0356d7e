/**
 * Fills an empty NTFS volume (a file made by `mkntfs -T`) with the Windows-like
 * test guest's files, through our own NTFS driver (no mounting):
 *   /Windows/System32/config/SOFTWARE, SYSTEM   (fixture-hives.ts)
 *   /Windows/System32/cmd.exe                   (a minimal PE32+ header)
 *   /Program Files/, /Users/
 *   node dist/src/inspect/windows/make-fixture.js NTFS_IMAGE
 * The clock the NTFS library sees is fixed, so the volume is the same byte for byte
 * on every run (mkntfs -T fixes its own times and serial).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FsDriver, SyncDevice } from '../../fs/fs-driver.js';
import { loadNtfsModule, openNtfs } from '../../fs/ntfs/ntfs-driver.js';
import { fixtureCmdExe, fixtureSoftwareHive, fixtureSystemHive, FIXTURE_TIMESTAMP } from './fixture-hives.js';

export class FileSyncDevice implements SyncDevice {
  readonly readOnly = false;
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }
  read(offset: number, into: Uint8Array): void {
    for (let done = 0; done < into.length; ) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n <= 0) throw new Error(`short read at ${offset + done}`);
      done += n;
    }
  }
  write(offset: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }
  flush(): void {}
}

export function mkdirs(fs: FsDriver, path: string): number {
  let dir = fs.rootIno;
  for (const part of path.split('/').filter(Boolean)) dir = fs.mkdir(dir, part, 0o755, 0, 0);
  return dir;
}

export function putFile(fs: FsDriver, dir: number, name: string, data: Uint8Array): void {
  const ino = fs.create(dir, name, 0o644, 0, 0);
  fs.write(ino, 0, data);
}

export async function fillWindowsVolume(image: string): Promise<void> {
  const fixed = FIXTURE_TIMESTAMP.getTime();
  const realNow = Date.now;
  Date.now = () => fixed; // the wasm libc's clock_gettime(CLOCK_REALTIME) reads Date.now
  const fd = openSync(image, 'r+');
  try {
    const fs = openNtfs(await loadNtfsModule(), new FileSyncDevice(fd), { readOnly: false });
    const sys32 = mkdirs(fs, '/Windows/System32');
    const config = fs.mkdir(sys32, 'config', 0o755, 0, 0);
    putFile(fs, config, 'SOFTWARE', fixtureSoftwareHive());
    putFile(fs, config, 'SYSTEM', fixtureSystemHive());
    putFile(fs, sys32, 'cmd.exe', fixtureCmdExe());
    mkdirs(fs, '/Program Files/7-Zip');
    mkdirs(fs, '/Users/Public');
    fs.close();
  } finally {
    closeSync(fd);
    Date.now = realNow;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const image = process.argv[2];
  if (!image) {
    process.stderr.write('usage: make-fixture NTFS_IMAGE\n');
    process.exit(2);
  }
  await fillWindowsVolume(image);
}
