/**
 * Handle-level, fish-level and file-reading commands (issue #10) on the wasm backend,
 * against what guestfish 1.48 printed for the same scripts (test/golden/cmds-host/*.gf:
 * the .out and .err beside each are guestfish's). Where guestkit answers differently
 * on purpose (max-disks, get-path's default, c-pointer), the test says so and why.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { runFish } from './helpers/fish-run.js';
import { fixture, scratch } from './helpers/fixtures.js';

const GOLDEN = join(__dirname, 'golden', 'cmds-host');
const golden = (name: string) => readFileSync(join(GOLDEN, name), 'utf8');
const lines = (s: string) => s.split('\n');

describe('handle and fish-level commands (wasm backend)', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('handle settings, config, events, environment and libvirt credentials print as guestfish', async () => {
    const disk = join(tmp.dir, 'h.img');
    copyFileSync(fixture('extra.img'), disk);
    // c-pointer has no C handle to return in guestkit: it fails instead (so it is run with '-').
    const script = golden('handle.gf').replace(/^c-pointer$/m, '-c-pointer');
    const r = await runFish('wasm', `add-drive ${disk}\n${script}`);
    expect(r.status).toBe(0);
    const appliancePath = lines(r.out)[1]!;
    expect(existsSync(join(appliancePath, 'agent.sh'))).toBe(true);
    const want = golden('handle.out')
      // max-disks: the appliance's limit (23 virtio-mmio slots), not libguestfs's 255.
      .replace(/^255$/m, '23')
      // get-path: guestkit's appliance sources, not libguestfs's supermin directory.
      .replaceAll('/usr/lib/x86_64-linux-gnu/guestfs', appliancePath)
      // c-pointer: no C handle, so no address (it fails instead).
      .replace(/^0x[0-9a-f]+\n/m, '')
      .replace(/^h\.img protocol=file$/m, `${disk} protocol=file`);
    expect(r.out).toBe(want);
    const wantErr = golden('handle.err').split('\n').filter((l) => !l.startsWith('libguestfs: trace:') && !l.startsWith('(in guestfish'));
    const gotErr = r.err.split('\n');
    // Same messages; guestkit's prefix and its launch-first wording differ.
    for (const w of wantErr.filter((l) => l.includes('libguestfs: error:') && !l.includes('call launch'))) {
      const msg = w.replace(/^\*stdin\*:\d+: libguestfs: error: /, '');
      expect(gotErr.some((l) => l.endsWith(msg))).toBe(true);
    }
    expect(gotErr).toContain('delete-event: nosuch: no such event handler');
    expect(gotErr).toContain('unknown event name: bogus');
    expect(gotErr.filter((l) => /^guestkit: error: (get-)?umask: call 'launch'/.test(l))).toHaveLength(2);
  });

  it('runs event handlers on launch and close with $EVENT set', async () => {
    const disk = join(tmp.dir, 'e.img');
    copyFileSync(fixture('extra.img'), disk);
    const r = await runFish('wasm', `add-drive ${disk} format:raw
event ev launch,close "echo event $EVENT"
event c enter "echo enter $1"
echo before
run
delete-event c
echo after
`);
    expect(r.err).toBe('');
    expect(r.out).toBe('before\nenter launch\nevent launch_done\nafter\nevent close\n');
  });

  it('applies the umask to new files and directories, and expands globs as glob(3) does', async () => {
    const disk = join(tmp.dir, 'u.img');
    copyFileSync(fixture('extra.img'), disk);
    const { writeFileCorpus } = await import('./helpers/file-corpus.js');
    const corpus = join(tmp.dir, 'corpus');
    writeFileCorpus(corpus);
    // mkfifo and mknod are appliance commands: the wasm run leaves them (and their ll lines) out.
    const script = golden('umask-glob.gf').replace(/^(mkfifo|mknod) .*\n/gm, '').replace(/upload corpus\//g, `upload ${corpus}/`)
      .replace(/^find-inode.*\n/gm, '').replace(/^-?find-inode.*\n/gm, '').replace(/^echo FS\nfilesystem-walk.*\n/m, '');
    const r = await runFish('wasm', `add-drive ${disk} format:raw\n${script}`);
    const dates = (s: string) => s.replace(/ [A-Z][a-z]{2} [ \d]\d \d\d:\d\d /g, ' DATE ');
    const want = golden('umask-glob.out').split('SUPPORTED\n')[0]!.split('\n').filter((l) => !/ (p|reg)$/.test(l)).join('\n');
    expect(dates(r.out.split('SUPPORTED\n')[0]!)).toBe(dates(want));
    // supported: every group in guestfish's layout; yes/no are the wasm backend's own answers.
    const groups = golden('umask-glob.out').split('SUPPORTED\n')[1]!.split('FIND_INODE')[0]!.split('\n').filter(Boolean);
    const ours = r.out.split('SUPPORTED\n')[1]!.split('FIND_INODE')[0]!.split('\n').filter(Boolean);
    expect(ours.map((l) => l.replace(/ (yes|no)$/, ''))).toEqual(groups.map((l) => l.replace(/ (yes|no)$/, '')));
    expect(ours).toContain('          augeas yes');
    expect(ours).toContain('             xfs no');
    expect(r.err).toContain('guestkit: error: umask: 01000: mask negative or out of range\n');
    expect(r.err).toContain('guestkit: error: umask: 037777777777: mask negative or out of range\n');
  });

  it('adds a scratch drive that reads as zeros and is removed at close; config parameters are kept for qemu', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    await g.setTmpdir(tmp.dir);
    await g.addDriveScratch(1 << 20);
    const [{ file }] = g.drives;
    expect(statSync(file!).size).toBe(1 << 20);
    await g.config('-cpu', 'max');
    await expect(g.config('-initrd', 'x')).rejects.toThrow("parameter ‘-initrd’ isn't allowed");
    expect(g.settings.applianceOptions().qemuParams).toEqual([['-cpu', 'max']]);
    await g.launch();
    expect(await g.isZeroDevice('/dev/sda')).toBe(true);
    await g.close();
    expect(existsSync(file!)).toBe(false);
  });

  it('file and file-architecture answer as guestfish; ELF, PE and compressed files are left to the appliance', async () => {
    const disk = join(tmp.dir, 'f.img');
    copyFileSync(fixture('extra.img'), disk);
    const corpus = join(tmp.dir, 'fcorpus');
    const { writeFileCorpus } = await import('./helpers/file-corpus.js');
    writeFileCorpus(corpus);
    const refused = /^file \/c\/.*\.(bin|so|exe|gz)$/;
    const script = golden('file.gf').split('echo UMASK')[0]!.replace(/upload corpus\//g, `upload ${corpus}/`)
      .split('\n').map((l) => (refused.test(l) ? `-${l}` : l)).join('\n');
    const r = await runFish('wasm', `add-drive ${disk} format:raw\n${script}`);
    const gf = golden('file.gf').split('\n');
    const fileLines = gf.slice(gf.indexOf('echo FILE') + 1).filter((l) => /^-?file /.test(l));
    const answers = golden('file.out').split('ARCH\n')[0]!.split('\n').slice(1);
    // The device is described mounted by the appliance's kernel in guestfish's run ("needs journal
    // recovery" is set while the kernel has the journal); the wasm backend's mount leaves it clear.
    const want = ['FILE', ...answers.filter((_, i) => !refused.test(fileLines.filter((l) => !l.startsWith('-'))[i] ?? ''))]
      .join('\n').replaceAll(' (needs journal recovery)', '') + 'ARCH\n' + golden('file.out').split('ARCH\n')[1]!.split('UMASK')[0];
    expect(r.out).toBe(want);
    const refusedNames = fileLines.filter((l) => refused.test(l)).map((l) => l.slice(5));
    expect(refusedNames).toHaveLength(12);
    for (const n of refusedNames) expect(r.err).toContain(`guestkit: error: file: ${n}: ELF, PE and compressed data: not supported by the wasm backend: use --backend=appliance\n`);
    for (const l of golden('file.err').split('\n').filter((x) => x.includes('libguestfs: error:'))) {
      expect(r.err).toContain(l.replace(/^\*stdin\*:\d+: libguestfs: error: (\w+): /, (_, c: string) => `guestkit: error: ${c.replace(/_/g, '-')}: `));
    }
  });

  it('help -l lists the API commands\' aliases, as guestfish does', async () => {
    const r = await runFish('wasm', 'help -l\n');
    expect(r.out).toMatch(/^run +alias for 'launch'$/m);
    expect(r.out).toMatch(/^path +alias for 'set-path'$/m);
    expect(r.out).toMatch(/^glob-expand-opts +alias for 'glob-expand'$/m);
  });

  it('hexedit edits a file, a byte range and a device range through $HEXEDITOR', async () => {
    const disk = join(tmp.dir, 'x.img');
    copyFileSync(fixture('extra.img'), disk);
    const r = await runFish('wasm', `add-drive ${disk} format:raw\nrun\nmount /dev/sda /
write /f "hello world\\n"
setenv HEXEDITOR "sed -i s/hello/HELLO/"
hexedit /f
cat /f
setenv HEXEDITOR "sed -i s/o/0/g"
hexedit /f 6 5
cat /f
setenv HEXEDITOR true
hexedit /dev/sda 0x400 0x400
-hexedit /sizes/s1100000
hexedit /sizes/s1100000 1M
`);
    // cat prints the file (ending in a newline) and then fish's own newline.
    expect(r.out).toBe('HELLO world\n\nHELLO w0rld\n\n');
    expect(r.err).toBe("hexedit: /sizes/s1100000 is larger than 1M. You must supply a limit using\n  'hexedit /sizes/s1100000 <max>' (eg. 'hexedit /sizes/s1100000 1M') or a range using\n  'hexedit /sizes/s1100000 <start> <max>'.\nSee the guestfish manual page for more information.\n");
    expect(r.status).toBe(0);
  });

  it('compress-out, compress-device-out and cpio-out write what the host tools read back; errors as guestfish words them', async () => {
    const disk = join(tmp.dir, 'c.img');
    copyFileSync(fixture('extra.img'), disk);
    const out = join(tmp.dir, 'co');
    mkdirSync(out);
    // guestfish's script up to its LSTAT section (test/golden/cmds-host/compress-tsk.gf).
    const script = golden('compress-tsk.gf').split('echo LSTAT')[0]!.replace(/ co\//g, ` ${out}/`);
    const r = await runFish('wasm', `add-drive ${disk} format:raw\n${script}`);
    expect(r.status).toBe(0);
    const un = (prog: string, f: string) => execFileSync(prog, ['-dc', join(out, f)]).toString();
    expect(un('gzip', 'hello.gz')).toBe('hello world\n');
    expect(un('gzip', 'hello9.gz')).toBe('hello world\n');
    expect(un('bzip2', 'hello.bz2')).toBe('hello world\n');
    expect(un('xz', 'hello.xz')).toBe('hello world\n');
    expect(un('xz', 'hl0.xz')).toBe('hello world\n');
    expect(execFileSync('gzip', ['-dc', join(out, 'sda.gz')], { maxBuffer: 1 << 30 }).length).toBe(statSync(disk).size);
    for (const f of ['sub.cpio', 'subcrc.cpio']) {
      expect(statSync(join(out, f)).size % 512).toBe(0);
      const list = execFileSync('cpio', ['--quiet', '-itv'], { input: readFileSync(join(out, f)) }).toString();
      expect(list.split('\n').filter(Boolean).map((l) => l.replace(/^(\S+)\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w+\s+\d+\s+[\d:]+\s+/, '$1 $2 '))).toEqual(
        ['drwxr-xr-x 0 .', 'lrwxrwxrwx 5 link -> hello', '-rw-r--r-- 2 x']);
    }
    // cpio checks the crc format's checksums as it extracts.
    const x = join(tmp.dir, 'x');
    mkdirSync(x);
    execFileSync('cpio', ['--quiet', '-id'], { cwd: x, input: readFileSync(join(out, 'subcrc.cpio')) });
    expect(readFileSync(join(x, 'x'), 'utf8')).toBe('x\n');
    for (const l of golden('compress-tsk.err').split('\n').filter((e) => /error: (compress_out|cpio_out): /.test(e) && !e.includes("'compress'"))) {
      expect(r.err).toContain(l.replace(/^\*stdin\*:\d+: libguestfs: error: (\w+): /, (_, c: string) => `guestkit: error: ${c.replace(/_/g, '-')}: `));
    }
    // Where guestfish's daemon only says "file receive cancelled by daemon", the cause is named.
    expect(r.err).toContain('guestkit: error: compress-out: stat: /nosuch: No such file or directory\n');
    expect(r.err).toContain('guestkit: error: compress-out: /sub: Is a directory\n');
    expect(existsSync(join(out, 'n.gz'))).toBe(false);
  });

  it('filesystem-walk, find-inode and download-inode read an unmounted ext4 as guestfish\'s sleuthkit does', async () => {
    const disk = join(tmp.dir, 'w.img');
    copyFileSync(fixture('extra.img'), disk);
    const got = join(tmp.dir, 'ino45');
    const r = await runFish('wasm', `add-drive ${disk} readonly:true format:raw\nrun\necho FIND\nfind-inode /dev/sda 12\necho WALK\nfilesystem-walk /dev/sda\ndownload-inode /dev/sda 45 ${got}\n`);
    expect(r.err).toBe('');
    const gold = golden('compress-tsk.out');
    expect(r.out.split('WALK\n')[0]).toBe(`FIND\n${gold.split('FIND\n')[1]!.split('DLI\n')[0]}`);
    const entries = (text: string) => text.split(/^\[\d+\] = /m).slice(1).map((e) => e.trim());
    const ours = entries(r.out.split('WALK\n')[1]!);
    // guestfish walked the image after its session wrote /hello, /sub...: compare the entries that were
    // there before (the root's times and link count changed with them).
    const theirs = entries(gold.split('WALK\n')[1]!.split('BLOCKS')[0]!);
    const before = theirs.filter((e) => !/tsk_name: (\.|hello|sub.*)\n/.test(e + '\n'));
    expect(ours.filter((e) => !/tsk_name: \.\n/.test(e + '\n'))).toEqual(before);
    expect(ours.at(-1)).toContain('tsk_name: $OrphanFiles');
    expect(readFileSync(got, 'utf8')).toBe('x\n');
  });

  it('download-blocks copies ext blocks, all or only the unallocated ones (as dumpe2fs counts them)', async () => {
    const disk = join(tmp.dir, 'b.img');
    copyFileSync(fixture('extra.img'), disk);
    const [first, free0, freeAll] = ['first', 'free0', 'freeAll'].map((n) => join(tmp.dir, n));
    const r = await runFish('wasm', `add-drive ${disk} readonly:true format:raw\nrun
download-blocks /dev/sda 0 2 ${first}
download-blocks /dev/sda 0 100 ${free0} unallocated:true
download-blocks /dev/sda 0 65535 ${freeAll} unallocated:true
-download-blocks /dev/sda 5 65536 ${join(tmp.dir, 'bad')}
`);
    // guestfish wrote 3072 bytes (blocks 0-2) and nothing for the allocated blocks 0-100.
    expect(readFileSync(first)).toEqual(readFileSync(disk).subarray(0, 3072));
    expect(statSync(free0).size).toBe(0);
    const free = Number(/Free blocks:\s+(\d+)/.exec(execFileSync('dumpe2fs', ['-h', disk], { stdio: ['ignore', 'pipe', 'ignore'] }).toString())![1]);
    expect(statSync(freeAll).size).toBe(free * 1024);
    expect(r.err).toBe('guestkit: error: download-blocks: 5-65536: blocks out of the range 0-65535\n');
  });

  it('ntfscat-i writes an NTFS file by its MFT record number, the bytes guestfish wrote', async () => {
    const got = join(tmp.dir, 'cmd.exe');
    const r = await runFish('wasm', `add-drive ${fixture('windows.img')} readonly:true format:raw\nrun\nntfscat-i /dev/sda1 69 ${got}\n-ntfscat-i /dev/sda1 5 ${join(tmp.dir, 'root')}\nmount-ro /dev/sda1 /\nlstatns /Windows/System32/cmd.exe\n-ntfscat-i /dev/sda1 69 ${got}\n`);
    // guestfish 1.48 wrote 1024 bytes for record 69, the fixture's cmd.exe (test/golden/cmds-host/NOTES.md).
    expect(r.out).toContain('st_ino: 69\n');
    expect(readFileSync(got)).toEqual(Buffer.from((await (async () => {
      const g = new Guestfs({ backend: 'wasm' });
      g.addDrive(fixture('windows.img'), { readonly: true, format: 'raw' });
      await g.launch();
      await g.mountRo('/dev/sda1', '/');
      try { return await g.readFile('/Windows/System32/cmd.exe'); } finally { await g.close(); }
    })())));
    expect(statSync(got).size).toBe(1024);
    expect(r.err).toBe('guestkit: error: ntfscat-i: Is a directory\nguestkit: error: ntfscat-i: /dev/sda1: the filesystem is mounted: unmount it first\n');
  });

  it('inspect-get-icon: the favicon first, then the distro\'s logo, only reasonable PNGs', async () => {
    const { png } = await import('./helpers/file-corpus.js');
    const disk = join(tmp.dir, 'deb.img');
    copyFileSync(fixture('debian-efi.img'), disk);
    const g = new Guestfs({ backend: 'wasm' });
    g.addDrive(disk, { format: 'raw' });
    await g.launch();
    try {
      const [root] = await g.inspectOs();
      await g.mount(root!, '/');
      expect((await g.inspectGetIcon(root!)).length).toBe(0);
      const logo = png(32, 32), fav = png(16, 16);
      await g.mkdirP('/usr/share/pixmaps');
      await g.write('/usr/share/pixmaps/debian-logo.png', logo);
      expect(Buffer.from(await g.inspectGetIcon(root!))).toEqual(logo);
      await g.write('/etc/favicon.png', fav);
      expect(Buffer.from(await g.inspectGetIcon(root!))).toEqual(fav);
      expect(Buffer.from(await g.inspectGetIcon(root!, { favicon: false }))).toEqual(logo);
      expect(Buffer.from(await g.inspectGetIcon(root!, { highquality: true }))).toEqual(logo);
      // Too small a side, and not a PNG: neither counts.
      await g.write('/etc/favicon.png', png(8, 8));
      await g.write('/usr/share/pixmaps/debian-logo.png', 'GIF89a not a png');
      expect((await g.inspectGetIcon(root!)).length).toBe(0);
    } finally {
      await g.close();
    }
  });

  it('journal-open/next/skip/get read a systemd journal as guestfish does', async () => {
    const disk = join(tmp.dir, 'j.img');
    copyFileSync(fixture('extra.img'), disk);
    // fixtures/make-journal.sh wrote the same entries guestfish read (test/golden/cmds-host/journal.gf).
    const script = golden('journal.gf').replace(/^upload j\/test\.journal /m, `upload ${fixture('journal/system.journal')} `);
    const r = await runFish('wasm', `add-drive ${disk} format:raw\n${script}`);
    expect(r.out).toBe(golden('journal.out'));
    const want = golden('journal.err').split('\n').filter(Boolean)
      .map((l) => l.replace(/^\*stdin\*:\d+: libguestfs: error: (\w+): /, (_, c: string) => `guestkit: error: ${c === 'internal_journal_get' ? 'journal-get' : c.replace(/_/g, '-')}: `));
    expect(r.err.split('\n').filter(Boolean)).toEqual(want);
  });
});
