/**
 * ISO 9660 through the CLI and the command table: the cloud-init seed on the wasm
 * backend printing what virt-cat, virt-ls and virt-df print (goldens), an ISO
 * mounted read-write staying read-only, and every fixture of fixtures/make-iso.sh
 * surveyed on both backends in one appliance boot: the wasm backend must show what
 * the appliance's Linux isofs shows, field for field and byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { GOLDEN, fixture, sha256 } from './helpers/fixtures.js';
import { IMAGES } from './helpers/iso-fixtures.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const S_IFMT = 0o170000, S_IFREG = 0o100000;
const golden = (name: string) => readFileSync(join(GOLDEN, 'iso9660', name), 'utf8');

describe('iso9660 through the CLI (wasm backend)', () => {
  it('cat -m, ls -lR and df on the cloud-init seed stay on wasm and print what virt-cat, virt-ls and virt-df print', async () => {
    const img = fixture('seed.iso');
    const before = sha256(img);
    const cat = await runCli(['cat', '-v', '-a', img, '-m', '/dev/sda', '/user-data']);
    expect(cat.status, cat.err).toBe(0);
    expect(cat.err).toMatch(/^backend: wasm \(auto: iso9660 is read in process\)$/m);
    expect(cat.out).toBe(golden('virt-cat__seed__user-data.out'));
    const ls = await runCli(['ls', '-v', '-lR', '-a', img, '-m', '/dev/sda', '/']);
    expect(ls.status, ls.err).toBe(0);
    expect(ls.err).toMatch(/^backend: wasm /m);
    expect(ls.out).toBe(golden('virt-ls__seed__lR.out'));
    const df = await runCli(['df', '-v', '-a', img]);
    expect(df.status, df.err).toBe(0);
    expect(df.err).toMatch(/^backend: wasm /m);
    expect(df.out).toBe(golden('virt-df__seed.out'));
    expect(sha256(img)).toBe(before);
  });

  it('a read-write mount of an ISO on a writable drive stays on wasm and is read-only, as with libguestfs (mount falls back to read-only)', async () => {
    const img = fixture('seed.iso');
    const before = sha256(img);
    const r = await runCli(['fish', '-v', '-a', img, 'run', ':', 'mount', '/dev/sda', '/', ':', 'cat', '/meta-data', ':', 'touch', '/x']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^backend: wasm \(auto: iso9660 is read in process\)$/m);
    expect(r.out).toBe('instance-id: iid-local01\nlocal-hostname: cloudimg\n\n'); // (fish's cat adds a newline)
    expect(r.err).toMatch(/touch: .*\/x: Read-only file system$/m);
    expect(sha256(img)).toBe(before);
  });

  it('without -m, cat and ls fail as virt-cat and virt-ls do on a disk with no operating system', async () => {
    for (const args of [['cat', '/user-data'], ['ls', '-lR', '/']]) {
      const r = await runCli([args[0]!, '-a', fixture('seed.iso'), ...args.slice(1)]);
      expect(r.status).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^guestkit \S+: error: no operating system was found on the disk/);
    }
  });
});

/** Everything ls -l shows (and more) of every file under /, and its contents' checksum, through the command table: one line each. */
async function listing(g: Guestfs): Promise<string[]> {
  const paths = ((await g.call('find', ['/'])) as string[]).map((p) => `/${p}`);
  // lstatnslist takes names in one directory (libguestfs checks they are file names), so: one lstatns a path.
  const st: Record<string, number>[] = [];
  for (const p of paths) st.push((await g.call('lstatns', [p])) as Record<string, number>);
  const out: string[] = [];
  for (let i = 0; i < paths.length; i++) {
    const s = st[i]!;
    const fmt = s.st_mode! & S_IFMT;
    const link = fmt === 0o120000 ? ` -> ${await g.call('readlink', [paths[i]])}` : fmt === S_IFREG ? ` sha256=${await g.call('checksum', ['sha256', paths[i]])}` : '';
    out.push(`${paths[i]} ino=${s.st_ino} mode=${s.st_mode!.toString(8)} nlink=${s.st_nlink} uid=${s.st_uid} gid=${s.st_gid} size=${s.st_size} ` +
      `rdev=${s.st_rdev} atime=${s.st_atime_sec} mtime=${s.st_mtime_sec} ctime=${s.st_ctime_sec}${link}`);
  }
  return out;
}

/** The facts about every fixture drive: list-filesystems, then per ISO its type, label, PVD, and its full listing. */
async function survey(backend: 'wasm' | 'appliance'): Promise<unknown> {
  const g = new Guestfs({ backend });
  try {
    for (const [image] of IMAGES) g.addDrive(fixture(image), { readonly: true, format: 'raw' });
    await g.launch();
    const out: Record<string, unknown> = { filesystems: await g.call('list-filesystems', []) };
    for (const [dev, type] of Object.entries(out.filesystems as Record<string, string>)) {
      out[dev] = { type, label: await g.call('vfs-label', [dev]), uuid: await g.call('vfs-uuid', [dev]), isoinfo: await g.call('isoinfo-device', [dev]) };
      await g.call('mount-ro', [dev, '/']);
      (out[dev] as Record<string, unknown>).files = await listing(g);
      await g.call('umount', ['/']);
    }
    return out;
  } finally {
    await g.close();
  }
}

describe.skipIf(!haveQemu)('iso9660: the wasm backend shows what the appliance (Linux isofs) shows', () => {
  it('every fixture: filesystems, type, label, UUID, primary volume descriptor, names, modes, owners, sizes, times, link counts, targets, contents', async () => {
    const wasm = await survey('wasm');
    const appliance = await survey('appliance');
    expect(wasm).toEqual(appliance);
  }, 90_000);
});
