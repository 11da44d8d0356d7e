/**
 * guestkit resize (virt-resize) end to end on fixture copies: the summary and
 * the new table against virt-resize's (test/golden/imgtools/resize-*), the
 * grown ext4 (one appliance boot: resize2fs), MBR logical partitions carried
 * inside their moved extended partition, qcow2 output, and refusals that
 * leave the output disk as it was.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveQemu } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { e2fsck, fixture, GOLDEN, scratch, sha256 } from './helpers/fixtures.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

const golden = (name: string) => readFileSync(join(GOLDEN, 'imgtools', name), 'utf8');
/** Times masked, the tool's name and the fixture path as guestkit prints them. */
const normalise = (s: string, inDisk: string) =>
  s.replace(/^\[ *\d+\.\d\] /gm, '[TIME] ').replace(/virt-resize: /g, 'guestkit resize: ').replace(/\/work\/wt\/imgtools\/fixtures\/out\/(\S+)/g, (_m, f: string) => (f === inDisk.split('/').pop() ? inDisk : f));

function newDisk(name: string, size: string, format = 'raw'): string {
  const f = join(tmp.dir, name);
  execFileSync('qemu-img', ['create', '-q', '-f', format, f, size]);
  return f;
}
const sfdisk = (f: string, name: string) => execFileSync('sfdisk', ['-d', f], { encoding: 'utf8' }).replaceAll(f, name);

describe('resize', () => {
  it('--dry-run prints the summary virt-resize prints and writes nothing', async () => {
    const out = newDisk('dry.img', '64M');
    const before = sha256(out);
    const r = await runCli(['resize', '--dry-run', '--resize', '/dev/sda1=+4M', fixture('mbr.img'), out]);
    expect(r.status).toBe(0);
    expect(normalise(r.out, fixture('mbr.img'))).toBe(normalise(golden('resize-mbr-dry.out'), fixture('mbr.img')));
    expect(sha256(out)).toBe(before);
  });

  it.runIf(haveQemu)('--expand on GPT: the table virt-resize wrote, the ext4 grown in the appliance, the files intact', async () => {
    const out = newDisk('gpt-out.img', '64M');
    const r = await runCli(['resize', '--machine-readable', '--expand', '/dev/sda2', fixture('gpt.img'), out], { timeoutMs: 120000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    // --machine-readable adds JSON lines (messages, and the summary and closing lines as "info") and POS/TOTAL progress lines to virt-resize's output.
    const plain = (s: string) => s.split('\n').filter((l) => !l.startsWith('{ "message"') && !/^\d+\/\d+$/.test(l)).join('\n');
    const json = (s: string) => s.split('\n').filter((l) => l.startsWith('{ "message"')).map((l) => l.replace(/"timestamp": "[^"]+"/, '"timestamp": T')).join('\n');
    const ours = normalise(r.out, fixture('gpt.img')).replaceAll(out, 'rs-gpt-out.img');
    expect(plain(ours)).toBe(normalise(golden('resize-gpt-expand.out'), fixture('gpt.img')));
    expect(json(ours).replaceAll(fixture('gpt.img'), 'gpt.img')).toBe(json(normalise(golden('resize-gpt-expand-mr.out'), 'gpt.img')));
    expect(ours).toMatch(/^25165824\/25165824$/m);
    expect(sfdisk(out, 'rs-gpt-out.img')).toBe(golden('resize-gpt-expand.sfdisk'));
    expect(execFileSync('sgdisk', ['-v', out], { encoding: 'utf8' })).toMatch(/No problems found/);
    const fsck = e2fsck(out, 18432 * 512);
    expect(fsck.status).toBe(0);
    expect(fsck.output).toMatch(/\/55104 blocks/); // 53.8 MiB of 1 KiB blocks: grown from 24 MiB
    const sums = async (img: string) => (await runCli(['fish', '--ro', '-a', img, '-m', '/dev/sda2', 'find', '/', ':', 'checksum', 'md5', '/etc/hostname'])).out;
    expect(await sums(out)).toBe(await sums(fixture('gpt.img')));
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 150000);

  it('MBR in process: sda1 grown without its content, the extended partition moved with its logicals, an extra partition, qcow2 output', async () => {
    const out = newDisk('mbr-out.qcow2', '64M', 'qcow2');
    const r = await runCli(['resize', '-q', '--no-expand-content', '--resize', '/dev/sda1=+4M', fixture('mbr.img'), out]);
    expect(r.err).toBe('');
    expect(r.out).toBe('');
    expect(execFileSync('qemu-img', ['check', out], { encoding: 'utf8' })).toMatch(/No errors were found/);
    const raw = join(tmp.dir, 'mbr-out.raw');
    execFileSync('qemu-img', ['convert', '-O', 'raw', out, raw]);
    const table = sfdisk(raw, 'X');
    expect(table).toMatch(/X1 : start= +2048, size= +40960, type=83/);
    expect(table).toMatch(/X2 : start= +43008, size= +45056, type=5/);
    // (the extra partition ends 64 sectors before the end: part-add's endsect -64)
    expect(table).toMatch(/X3 : start= +88064, size= +42945, type=83/);
    expect(table).toMatch(/X5 : start= +45056, size= +16384, type=83/);
    expect(table).toMatch(/X6 : start= +63488, size= +16384, type=83/);
    for (const [dev, offset] of [['/dev/sda1', 2048], ['/dev/sda5', 45056], ['/dev/sda6', 63488]] as const) {
      expect(e2fsck(raw, offset * 512).status).toBe(0);
      const list = async (img: string) => (await runCli(['fish', '--ro', '-a', img, '-m', dev, 'find', '/'])).out;
      expect(await list(out)).toBe(await list(fixture('mbr.img')));
    }
  });

  it('refusals leave the output disk unchanged: deficit, wasm backend asked to grow, missing output; --machine-readable', async () => {
    const small = newDisk('small.img', '20M');
    const before = sha256(small);
    const deficit = await runCli(['resize', fixture('gpt.img'), small]);
    expect(deficit.status).toBe(1);
    expect(deficit.err).toMatch(/^guestkit resize: error: There is a deficit of \d+ bytes \(14\.2M\)\.  You need to make the target disk larger by at least this amount or adjust your resizing requests\.\n$/);
    const out = newDisk('wasm.img', '64M');
    const wasm = await runCli(['resize', '--backend=wasm', '--expand', '/dev/sda2', fixture('gpt.img'), out]);
    expect(wasm.err).toMatch(/^guestkit resize: error: resize: expanding \/dev\/sda2 \(resize2fs\): not supported by the wasm backend: use --backend=appliance\n$/m);
    expect(sha256(small)).toBe(before);
    const missing = await runCli(['resize', fixture('gpt.img'), join(tmp.dir, 'absent.img')]);
    expect(missing.err).toMatch(/the output disk must exist/);
    const notDisk = await runCli(['resize', fixture('ext4.img'), out]);
    expect(notDisk.err).toMatch(/unknown partition table type/);
    const mr = await runCli(['resize', '--machine-readable']);
    expect(mr.out).toBe(golden('resize-mbr-mr.out'));
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe.runIf(haveQemu)('resize grows xfs as virt-resize does (mounted, xfs_growfs)', () => {
  it('--expand /dev/sda1 on an xfs partition: the filesystem fills the bigger partition, its files intact', async () => {
    // A GPT disk whose one partition holds a 300 MiB xfs (mkfs.xfs's minimum) with a file in it.
    const tree = join(tmp.dir, 'xfs-tree');
    execFileSync('mkdir', ['-p', tree]);
    execFileSync('sh', ['-c', `echo grown > ${tree}/hello`]);
    const fsImg = join(tmp.dir, 'xfs.fs');
    execFileSync('truncate', ['-s', '300M', fsImg]);
    execFileSync('sh', ['-c', `printf '/dev/null\\n0 0\\nd--755 0 0\\nhello ---644 0 0 ${tree}/hello\\n$\\n' > ${tmp.dir}/proto && mkfs.xfs -q -p ${tmp.dir}/proto ${fsImg}`]);
    const src = newDisk('xfs-src.img', '302M');
    execFileSync('sgdisk', ['-o', '-n', '1:2048:+300M', '-t', '1:8300', src], { stdio: 'ignore' });
    execFileSync('dd', [`if=${fsImg}`, `of=${src}`, 'bs=1M', 'seek=1', 'conv=notrunc,sparse', 'status=none']);
    const out = newDisk('xfs-out.img', '600M');
    const r = await runCli(['resize', '--expand', '/dev/sda1', src, out], { timeoutMs: 300_000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/Expanding \/dev\/sda1 using the ‘xfs_growfs’ method/);
    const df = await runCli(['fish', '--ro', '-a', out, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'statvfs', '/', ':', 'cat', '/hello']);
    expect(df.err).toBe('');
    const blocks = Number(/^blocks: (\d+)$/m.exec(df.out)![1]);
    const bsize = Number(/^bsize: (\d+)$/m.exec(df.out)![1]);
    expect(blocks * bsize).toBeGreaterThan(450 * 1024 * 1024); // was under 300 MiB before
    expect(df.out).toMatch(/^grown$/m);
  }, 400_000);
});
