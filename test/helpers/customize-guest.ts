/**
 * A small Linux guest for customize's end-to-end tests, built from plain files
 * (mkfs.ext4 -d, no mounts): what inspection needs to call it Debian 12
 * (/etc/fstab, /etc/hosts, os-release, /bin), users, a zoneinfo file, systemd
 * and sysvinit directories, and a static busybox as /bin/sh so that the
 * appliance can run commands inside it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { staticBusybox as findStaticBusybox } from '../../src/backend/appliance/build.js';

/** A statically linked busybox on this machine, or undefined. */
/**
 * The static busybox the appliance builder uses (the host's when it is static,
 * else busybox-static from the cache, fetched if need be): the same answer
 * whichever busybox flavour the host has installed.
 */
export function staticBusybox(): string | undefined {
  return findStaticBusybox() ?? undefined;
}

/** Writes the guest image (raw, whole-disk ext4 labelled 'root') into DIR; returns its path. */
export function makeLinuxGuest(dir: string, opts: { busybox?: string; sizeMiB?: number; name?: string } = {}): string {
  const tree = join(dir, `${opts.name ?? 'guest'}-tree`);
  const file = (p: string, content: string, mode = 0o644) => {
    const f = join(tree, p);
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, content);
    chmodSync(f, mode);
  };
  for (const d of ['bin', 'tmp', 'root', 'home/user', 'etc/systemd/system', 'etc/init.d', 'usr/share/zoneinfo/Europe', 'var/lib/urandom']) mkdirSync(join(tree, d), { recursive: true });
  chmodSync(join(tree, 'tmp'), 0o1777);
  chownSync(join(tree, 'home/user'), 1000, 1000);
  file('etc/hostname', 'oldhost\n');
  file('etc/hosts', '127.0.0.1\tlocalhost\n127.0.1.1\toldhost\n');
  file('etc/fstab', 'LABEL=root / ext4 defaults 0 1\n');
  file('etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n');
  file('etc/debian_version', '12.5\n');
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:User:/home/user:/bin/sh\n');
  file('etc/group', 'root:x:0:\nuser:x:1000:\n');
  file('etc/shadow', 'root:*:19000:0:99999:7:::\nuser:!:19000:0:99999:7:::\n', 0o640);
  file('usr/share/zoneinfo/Europe/London', 'TZif2-not-really\n');
  file('etc/motd', 'welcome\n');
  // A seed as small as some installers leave it: customize refills it to 512 bytes.
  file('var/lib/urandom/random-seed', '12345678', 0o600);
  if (opts.busybox) {
    copyFileSync(opts.busybox, join(tree, 'bin', 'busybox'));
    chmodSync(join(tree, 'bin', 'busybox'), 0o755);
    for (const a of ['sh', 'echo', 'cat', 'ls', 'touch', 'mkdir', 'false', 'true', 'id', 'uname']) symlinkSync('busybox', join(tree, 'bin', a));
  } else {
    file('bin/sh', '#!/bin/false\n', 0o755);
  }
  const img = join(dir, `${opts.name ?? 'guest'}.img`);
  execFileSync('truncate', ['-s', `${opts.sizeMiB ?? 48}M`, img]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', tree, img], { env: { ...process.env, PATH: `${process.env.PATH}:/sbin:/usr/sbin` } });
  return img;
}
