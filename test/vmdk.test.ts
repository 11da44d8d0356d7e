/**
 * The native vmdk reader against qemu: every byte VmdkDevice reads equals
 * `qemu-img convert -O raw` (compared with cmp), its allocation map equals
 * `qemu-img map` for sparse extents, guestkit cat/ls on each subformat print
 * what they print on the raw image, `-a guest.vmx` adds the disks it lists,
 * and lying, cut-short or escaping images fail with one line and exit 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDrive } from '../src/block/open-drive.js';
import { OverlayDevice } from '../src/block/overlay.js';
import { VmdkDevice } from '../src/block/vmdk/vmdk-device.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { FIXTURES } from './helpers/fixtures.js';
import { fuzzIterations, fuzzTimeout } from './helpers/fuzz-walk.js';
import { fuzzImages } from './helpers/image-fuzz.js';
import { cmp, dumpDevice, ourMap } from './helpers/device-compare.js';
import { MiB, qemuImg, qemuIo, qemuMap, qemuRaw } from './helpers/qcow2-images.js';
import { writeStreamAtEnd } from './helpers/vmdk-images.js';

const VMDK = path.join(FIXTURES, 'vmdk');
const SUBFORMATS = ['monolithicSparse', 'streamOptimized', 'monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat'];
const SPARSE = new Set(['monolithicSparse', 'streamOptimized', 'twoGbMaxExtentSparse']);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-vmdk-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads `image` natively and checks its bytes against qemu's (and its map, unless told not to). */
async function expectSameAsQemu(image: string, opts: { map?: boolean } = {}): Promise<VmdkDevice> {
  const dev = await VmdkDevice.open(image);
  try {
    const ours = path.join(dir, `${path.basename(image)}.ours.raw`);
    const theirs = path.join(dir, `${path.basename(image)}.qemu.raw`);
    await dumpDevice(dev, ours);
    qemuRaw(image, theirs);
    cmp(ours, theirs);
    if (opts.map !== false) expect(await ourMap(dev)).toEqual(qemuMap(image));
    fs.rmSync(ours);
    fs.rmSync(theirs);
  } catch (e) {
    await dev.close();
    throw e;
  }
  return dev;
}

function expectOneLine(r: CliResult, pattern: RegExp): void {
  expect(r.status, r.err).toBe(1);
  const lines = r.err.split('\n').filter(Boolean);
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('VmdkDevice reads what qemu reads', () => {
  for (const sub of SUBFORMATS) {
    it(`${sub}: bytes (cmp with qemu-img convert)${SPARSE.has(sub) ? ' and map (qemu-img map)' : ''}`, async () => {
      const dev = await expectSameAsQemu(path.join(VMDK, `${sub}.vmdk`), { map: SPARSE.has(sub) });
      expect(dev.createType).toBe(sub);
      await dev.close();
    });
  }

  it('a VMware-style stream: grain directory at the end, the header in the footer', async () => {
    const data = Buffer.alloc(3 * MiB + 1536);
    fs.readFileSync(path.join(VMDK, 'ext4-stream.vmdk')).copy(data, 0, 0, MiB);
    data.fill(7, 2 * MiB, 2 * MiB + 1000);
    data.fill(9, data.length - 100);
    const f = path.join(dir, 'at-end.vmdk');
    writeStreamAtEnd(f, data);
    const dev = await expectSameAsQemu(f);
    expect(Buffer.from(await dev.read(0, dev.size)).equals(data)).toBe(true);
    await dev.close();
  });

  it('zeroed grains (GTE 1) read as zeroes and map as zero, not hole', async () => {
    const f = path.join(dir, 'zeroed.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'zeroed_grain=on', f, '4M');
    qemuIo(f, 'vmdk', 'write -P 0x5a 0 1M', 'write -z 64k 128k', 'write -P 0x11 3M 70k');
    const dev = await expectSameAsQemu(f);
    expect((await dev.extents(64 * 1024, 128 * 1024))[0]).toMatchObject({ zero: true, hole: false });
    await dev.close();
  });

  it('a delta disk reads unallocated grains from its parent (two levels), and lists its chain', async () => {
    const base = path.join(dir, 'base.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', base, '2M');
    qemuIo(base, 'vmdk', 'write -P 0x01 0 1M');
    const mid = path.join(dir, 'mid.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', mid);
    qemuIo(mid, 'vmdk', 'write -P 0x02 192k 64k');
    const top = path.join(dir, 'top.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'mid.vmdk', '-F', 'vmdk', top);
    qemuIo(top, 'vmdk', 'write -P 0x03 1536k 100k');
    const dev = await expectSameAsQemu(top);
    expect(dev.backingChain()).toEqual([{ file: mid, format: 'vmdk' }, { file: base, format: 'vmdk' }]);
    await dev.close();
  });

  it('a split disk of several sparse and flat extents in subdirectories reads as qemu reads it', async () => {
    const d = path.join(dir, 'split');
    fs.mkdirSync(path.join(d, 'parts'), { recursive: true });
    for (const [i, pattern] of [[1, '0x31'], [2, '0x32']] as const) {
      const part = path.join(d, 'parts', `s${i}.vmdk`);
      qemuImg('create', '-q', '-f', 'vmdk', part, '1M');
      qemuIo(part, 'vmdk', `write -P ${pattern} ${i * 64}k 100k`);
    }
    fs.writeFileSync(path.join(d, 'parts', 'f.bin'), Buffer.alloc(512 * 1024, 0x46));
    const desc = path.join(d, 'split.vmdk');
    fs.writeFileSync(desc, '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\n\n# Extent description\nRW 2048 SPARSE "parts/s1.vmdk"\nRW 512 FLAT "parts/f.bin" 256\nRW 2048 SPARSE "parts/s2.vmdk"\n');
    const dev = await expectSameAsQemu(desc, { map: false });
    expect(dev.size).toBe(2 * MiB + 256 * 1024);
    expect(dev.extentList.map((e) => [e.type, e.size])).toEqual([['SPARSE', MiB], ['FLAT', 256 * 1024], ['SPARSE', MiB]]);
    await dev.close();
  });

  it('ZERO and RDONLY extents of a hand-written descriptor; a NOACCESS extent refuses reads', async () => {
    fs.writeFileSync(path.join(dir, 'mixed-a.bin'), Buffer.alloc(2048, 0xaa));
    fs.writeFileSync(path.join(dir, 'mixed-b.bin'), Buffer.concat([Buffer.alloc(512, 0xee), Buffer.alloc(1024, 0xbb)]));
    const d = path.join(dir, 'mixed.vmdk');
    fs.writeFileSync(d, '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 4 FLAT "mixed-a.bin" 0\nRW 8 ZERO\nRDONLY 2 FLAT "mixed-b.bin" 1\nNOACCESS 2 FLAT "mixed-a.bin" 0\n');
    const dev = await VmdkDevice.open(d);
    expect(dev.size).toBe(16 * 512);
    const want = Buffer.concat([Buffer.alloc(2048, 0xaa), Buffer.alloc(4096), Buffer.alloc(1024, 0xbb)]);
    expect(Buffer.from(await dev.read(0, 14 * 512)).equals(want)).toBe(true);
    expect(await dev.extents(0, dev.size)).toEqual([
      { offset: 0, length: 2048, zero: false, hole: false },
      { offset: 2048, length: 4096, zero: true, hole: true },
      { offset: 6144, length: 2048, zero: false, hole: false },
    ]);
    await expect(dev.read(14 * 512, 512)).rejects.toThrow(`${d}: read at offset 7168: the extent there is NOACCESS in the descriptor`);
    await dev.close();
  });

  it('the redundant grain directory is used when the primary lies past the end of the file', async () => {
    const f = path.join(dir, 'rgd.vmdk');
    fs.copyFileSync(path.join(VMDK, 'monolithicSparse.vmdk'), f);
    patch(f, 56, u64(1n << 40n));
    const dev = await VmdkDevice.open(f);
    const ours = path.join(dir, 'rgd.raw');
    await dumpDevice(dev, ours);
    await dev.close();
    cmp(ours, qemuRaw(path.join(VMDK, 'monolithicSparse.vmdk'), path.join(dir, 'rgd.qemu.raw')));
  });
});

describe('openDrive, guestkit cat / ls / copy / info on vmdk', () => {
  let rawCat: CliResult;
  let rawLs: CliResult;
  beforeAll(async () => {
    const raw = qemuRaw(path.join(VMDK, 'monolithicSparse.vmdk'), path.join(dir, 'truth.raw'));
    rawCat = await runCli(['cat', '-a', raw, '-m', '/dev/sda2', '/etc/hostname', '/etc/passwd']);
    rawLs = await runCli(['ls', '-lR', '-a', raw, '-m', '/dev/sda2', '/']);
    expect(rawCat.status, rawCat.err).toBe(0);
    expect(rawLs.status, rawLs.err).toBe(0);
  });

  it('read-only vmdk is read natively, without qemu-nbd; writes stay in the overlay', async () => {
    const f = path.join(VMDK, 'streamOptimized.vmdk');
    const before = fs.readFileSync(f);
    const ro = await openDrive({ file: f, readOnly: true });
    expect((ro as OverlayDevice).base).toBeInstanceOf(VmdkDevice);
    await ro.write(0, new Uint8Array([1, 2]));
    expect([...(await ro.read(0, 2))]).toEqual([1, 2]);
    await ro.close();
    expect(fs.readFileSync(f).equals(before)).toBe(true);
  });

  for (const sub of SUBFORMATS) {
    it(`guestkit cat and ls -lR on ${sub} print what they print on the raw image (no qemu-nbd on PATH)`, async () => {
      const bin = path.join(dir, 'bin-no-qemu');
      fs.mkdirSync(bin, { recursive: true });
      if (!fs.existsSync(path.join(bin, 'node'))) fs.symlinkSync(process.execPath, path.join(bin, 'node'));
      const image = path.join(VMDK, `${sub}.vmdk`);
      const cat = await runCli(['cat', '-a', image, '-m', '/dev/sda2', '/etc/hostname', '/etc/passwd'], { env: { PATH: bin } });
      expect(cat.err).toBe('');
      expect(cat.stdoutBytes.equals(rawCat.stdoutBytes)).toBe(true);
      const ls = await runCli(['ls', '-lR', '-a', image, '-m', '/dev/sda2', '/'], { env: { PATH: bin } });
      expect(ls.err).toBe('');
      expect(ls.stdoutBytes.equals(rawLs.stdoutBytes)).toBe(true);
    });
  }

  it('guestkit copy from vmdk writes the raw disk', async () => {
    const out = path.join(dir, 'copied.raw');
    const r = await runCli(['copy', path.join(VMDK, 'twoGbMaxExtentSparse.vmdk'), out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    cmp(out, path.join(dir, 'truth.raw'));
  });

  it('guestkit info shows the vmdk facts as qemu-img info does, and --map the grain tables', async () => {
    for (const sub of ['streamOptimized', 'twoGbMaxExtentFlat']) {
      const image = path.join(VMDK, `${sub}.vmdk`);
      const r = await runCli(['info', image]);
      expect(r.status, r.err).toBe(0);
      const qemu = qemuImg('info', image).split('\n');
      // The image part is qemu-img's, line for line; the disk size aside (block counts shift as the files are written).
      const ours = r.out.split('\n').slice(0, qemu.length - 1);
      const norm = (l: string[]) => l.filter((x) => !x.startsWith('disk size:') && !x.includes('cid: '));
      expect(norm(ours)).toEqual(norm(qemu.slice(0, -1)));
      expect(r.out).toContain('partition table: gpt');
    }
    const m = await runCli(['info', '--map', '--json', path.join(VMDK, 'monolithicSparse.vmdk')]);
    const j = JSON.parse(m.out) as { map: Array<{ offset: number; length: number; type: string }>; 'format-specific': { data: { 'create-type': string } } };
    expect(j['format-specific'].data['create-type']).toBe('monolithicSparse');
    expect(j.map.map((e) => ({ start: e.offset, length: e.length, type: e.type }))).toEqual(qemuMap(path.join(VMDK, 'monolithicSparse.vmdk')));
  });
});

describe('-a guest.vmx', () => {
  it('adds the hard disks the .vmx lists, in bus order, names matched case-insensitively, the CD-ROM skipped', async () => {
    const r = await runCli(['cat', '-a', path.join(VMDK, 'guest.vmx'), '-m', '/dev/sda2', '/etc/hostname']);
    expect(r.err).toBe('');
    expect(r.out).toBe('debian-guest\n');
    const fsList = await runCli(['filesystems', '-a', path.join(VMDK, 'guest.vmx')]);
    expect(fsList.status, fsList.err).toBe(0);
    expect(fsList.out.split('\n').filter(Boolean).sort()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sdb']);
  });

  it('a .vmx naming a missing disk: one line naming the .vmx and the file', async () => {
    const vmx = path.join(dir, 'missing.vmx');
    fs.writeFileSync(vmx, 'config.version = "8"\nscsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "gone.vmdk"\n');
    expectOneLine(await runCli(['ls', '-a', vmx, '-m', '/dev/sda', '/']), new RegExp(`^guestkit ls: error: ${vmx}: names disk gone\\.vmdk \\(scsi0:0\\), which is missing: No such file or directory$`));
  });
});

/** Overwrites bytes of a file in place. */
function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, offset);
  fs.closeSync(fd);
}
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** A fresh copy of a fixture vmdk (with its extent files) in its own directory. */
function victim(name: string, sub = 'monolithicSparse'): string {
  const d = path.join(dir, `bad-${name}`);
  fs.mkdirSync(d, { recursive: true });
  for (const f of fs.readdirSync(VMDK)) if (f.startsWith(sub)) fs.copyFileSync(path.join(VMDK, f), path.join(d, f));
  return path.join(d, `${sub}.vmdk`);
}

async function expectCliRefused(file: string, problem: RegExp): Promise<void> {
  const r = await runCli(['cat', '-a', file, '-m', '/dev/sda2', '/etc/hostname']);
  expectOneLine(r, new RegExp(`^guestkit cat: error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${problem.source}`));
}

describe('bad vmdk images: one line naming the disk, exit 1', () => {
  it('a sparse file cut short: in its metadata, in its grains', async () => {
    const f = victim('cut');
    fs.truncateSync(f, 8192);
    await expectCliRefused(f, /vmdk image is truncated: its embedded descriptor \(offset 512\) is past the end of the file \(size 8192\)$/);
    // Grains past the cut fail the read that reaches them (never zeroes); copy reads them all and leaves no output behind.
    const g = victim('cut2');
    fs.truncateSync(g, fs.statSync(g).size - 300 * 1024);
    const out = path.join(dir, 'cut2.raw');
    const r = await runCli(['copy', g, out]);
    expectOneLine(r, new RegExp(`^guestkit copy: error: ${g}: vmdk image is truncated: grain data \\(offset \\d+\\) is past the end of the file`));
    expect(fs.existsSync(out)).toBe(false);
  });

  it('grain directory offset past the end of the file (and its redundant copy too)', async () => {
    const f = victim('gd');
    patch(f, 56, u64(1n << 40n));
    patch(f, 48, u64(1n << 40n));
    await expectCliRefused(f, /vmdk image is truncated: its grain directory \(offset 562949953421312\) is past the end of the file/);
  });

  it('grain size out of range', async () => {
    for (const grain of [0n, 3n, 1n << 20n]) {
      const f = victim(`grain${grain}`);
      patch(f, 20, u64(grain));
      await expectCliRefused(f, /vmdk image is corrupt: grain size \d+ sectors is out of range/);
    }
  });

  it('a descriptor naming a missing extent, and one escaping its directory', async () => {
    const f = victim('noextent', 'twoGbMaxExtentSparse');
    fs.rmSync(f.replace('.vmdk', '-s001.vmdk'));
    await expectCliRefused(f, /extent twoGbMaxExtentSparse-s001\.vmdk: No such file or directory$/);
    const e = victim('escape', 'monolithicFlat');
    fs.writeFileSync(e, fs.readFileSync(e, 'utf8').replace('"monolithicFlat-flat.vmdk"', '"../../etc/passwd"'));
    await expectCliRefused(e, /vmdk descriptor names extent \.\.\/\.\.\/etc\/passwd, outside the descriptor's directory: refused$/);
  });

  it('a parent loop, a missing parent, a chain too deep', async () => {
    const a = path.join(dir, 'loop-a.vmdk');
    const b = path.join(dir, 'loop-b.vmdk');
    fs.writeFileSync(path.join(dir, 'loop.bin'), Buffer.alloc(1024 * 1024));
    const desc = (parent: string) => `# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\ncreateType="monolithicFlat"\nparentFileNameHint="${parent}"\nRW 2048 FLAT "loop.bin" 0\n`;
    fs.writeFileSync(a, desc('loop-b.vmdk'));
    fs.writeFileSync(b, desc('loop-a.vmdk'));
    await expectCliRefused(a, /backing chain loops: .*loop-a\.vmdk → loop-b\.vmdk → loop-a\.vmdk$/);
    const c = path.join(dir, 'orphan.vmdk');
    fs.writeFileSync(c, desc('nowhere.vmdk'));
    await expectCliRefused(c, /backing file nowhere\.vmdk: No such file or directory \(named by .*orphan\.vmdk\)$/);
    // 65 parents: one more than qcow2 chains may have.
    for (let i = 0; i < 66; i++) fs.writeFileSync(path.join(dir, `deep-${i}.vmdk`), desc(`deep-${i + 1}.vmdk`));
    fs.writeFileSync(path.join(dir, 'deep-66.vmdk'), desc('').replace('parentFileNameHint=""\n', ''));
    await expectCliRefused(path.join(dir, 'deep-0.vmdk'), /backing chain is deeper than 64 images \(at deep-65\.vmdk\)$/);
    const ok = await VmdkDevice.open(path.join(dir, 'deep-2.vmdk'));
    expect(ok.backingChain()).toHaveLength(64);
    await ok.close();
  });

  it('ESXi datastore types are refused with one line', async () => {
    const f = path.join(dir, 'esx.vmdk');
    fs.writeFileSync(f, '# Disk DescriptorFile\nversion=1\ncreateType="vmfsSparse"\nRW 2048 VMFSSPARSE "esx-delta.vmdk"\n');
    await expectCliRefused(f, /vmdk createType vmfsSparse \(an ESXi datastore disk\) is not supported/);
  });

  it('vhdx without qemu-nbd: one line saying what to do', async () => {
    const v = path.join(dir, 'x.vhdx');
    qemuImg('create', '-q', '-f', 'vhdx', v, '1M');
    const bin = path.join(dir, 'bin-vhdx');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await runCli(['cat', '-a', v, '-m', '/dev/sda', '/x'], { env: { PATH: bin } });
    expectOneLine(r, new RegExp(`^guestkit cat: error: ${v}: vhdx images need qemu-nbd: install qemu-utils or convert the image$`));
  });
});

describe('fuzz: mutated vmdk headers, tables and descriptors give only typed errors', () => {
  const rounds = fuzzIterations('GUESTKIT_VMDK_FUZZ_ROUNDS', 1000);

  it(`${rounds} mutated images`, async () => {
    // Three seeds: a sparse file with zeroed grains and a redundant directory; a stream with markers and its
    // directory at the end; a descriptor naming flat, zero and sparse extents.
    const sparse = path.join(dir, 'fz-sparse.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'zeroed_grain=on', sparse, '1M');
    qemuIo(sparse, 'vmdk', 'write -P 0x5a 0 100k', 'write -z 128k 64k', 'write -P 0x11 700k 70k');
    const stream = path.join(dir, 'fz-stream.vmdk');
    const data = Buffer.alloc(512 * 1024);
    data.fill(0x33, 0, 70 * 1024);
    data.fill(0x44, 300 * 1024, 400 * 1024);
    writeStreamAtEnd(stream, data);
    fs.writeFileSync(path.join(dir, 'fz-flat.bin'), Buffer.alloc(64 * 1024, 0x21));
    const descText = '# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\n\nRW 128 FLAT "fz-flat.bin" 0\nRW 64 ZERO\nRW 2048 SPARSE "fz-sparse.vmdk"\n';
    const seeds = [sparse, stream].map((f) => {
      const bytes = fs.readFileSync(f);
      const gd = Number(bytes.readBigUInt64LE(56));
      const regions: Array<[number, number]> = [[0, 512], [512, 512], [bytes.length - 1536, 1536]];
      if (gd > 0 && gd < bytes.length / 512) {
        regions.push([gd * 512, 64]);
        const gt = bytes.readUInt32LE(gd * 512);
        if (gt > 0 && gt * 512 < bytes.length) regions.push([gt * 512, 2048]);
      }
      return { bytes, regions, target: path.join(dir, 'fz-target.vmdk') };
    });
    seeds.push({ bytes: Buffer.from(descText), regions: [[0, descText.length]], target: path.join(dir, 'fz-target-desc.vmdk') });
    const { opened, codes } = await fuzzImages({
      rounds,
      seeds,
      randomSeed: Number(process.env.GUESTKIT_VMDK_FUZZ_SEED ?? 0x7d3c),
      open: (f) => VmdkDevice.open(f),
      // Descriptor text mutates best into quotes, dots, slashes, newlines and spaces.
      interesting: [0, 1, 0xff, 0x7f, 0x80, 0x40, 0x22, 0x2e, 0x2f, 0x0a, 0x20],
    });
    console.log(`vmdk fuzz: ${rounds} iterations, opened ${opened}, typed errors ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(opened).toBeGreaterThan(rounds / 10);
    expect([...codes.values()].reduce((x, y) => x + y, 0)).toBeGreaterThan(rounds / 10);
  }, fuzzTimeout(rounds, 100));
});

