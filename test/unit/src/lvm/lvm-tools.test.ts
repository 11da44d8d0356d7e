/**
 * Cross-checks against the real lvm2 tools, on loop devices over plain
 * files: PVs made by pvcreate/vgcreate/lvcreate are read by scanLvm, and PVs
 * written by pv-writer are accepted (vgck) and reported identically by
 * pvs/vgs/lvs. Skipped when not root, without lvm2, or without loop devices.
 * Device-mapper is not needed: lvcreate runs with --driverloaded n -an -Zn.
 * A private LVM_SYSTEM_DIR keeps the host's /etc/lvm (backups, archives,
 * devices file) untouched.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawFileDevice } from '../../../../src/block/raw-file.js';
import { lvmLvs, lvmLvsFull, lvmPvs, lvmPvsFull, lvmVgs, lvmVgsFull } from '../../../../src/lvm/report.js';
import { scanLvm, type LvmScan } from '../../../../src/lvm/scan.js';
import { writeLvm } from '../../../../src/lvm/pv-writer.js';
import { MemoryDevice } from '../../../helpers/mem-device.js';
import { haveCommand } from '../../../helpers/host-tools.js';

const MiB = 1024 * 1024;

function available(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('lvm', ['version'], { stdio: 'ignore', env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' } });
    execFileSync('losetup', ['-f'], { stdio: 'ignore' });
    return fs.existsSync('/dev/loop-control');
  } catch {
    return false;
  }
}

const HAVE = available();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-lvm-tools-'));
const loops: string[] = [];
const env = { ...process.env, LVM_SYSTEM_DIR: path.join(tmp, 'etc'), LVM_SUPPRESS_FD_WARNINGS: '1' };

beforeAll(() => {
  fs.mkdirSync(env.LVM_SYSTEM_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(env.LVM_SYSTEM_DIR, 'lvm.conf'),
    [
      'devices { use_devicesfile = 0 obtain_device_list_from_udev = 0 external_device_info_source = "none" scan_lvs = 0 }',
      'global { use_lvmlockd = 0 event_activation = 0 }',
      'activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }',
      'backup { backup = 0 archive = 0 }',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  for (const l of loops) {
    try {
      execFileSync('losetup', ['-d', l], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function attach(file: string): string {
  const l = execFileSync('losetup', ['-f', '--show', file]).toString().trim();
  loops.push(l);
  return l;
}

function detach(l: string): void {
  execFileSync('losetup', ['-d', l]);
  loops.splice(loops.indexOf(l), 1);
}

function lvm(args: string[], devices: string[]): string {
  return execFileSync('lvm', [args[0]!, '--devices', devices.join(','), ...args.slice(1)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

type Row = Record<string, string>;
function report(cmd: 'pvs' | 'vgs' | 'lvs', fields: string, devices: string[], extra: string[] = []): Row[] {
  const out = lvm([cmd, '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', fields, ...extra], devices);
  // lvm prints a notice about fixed major numbers in the middle of its JSON.
  const json = out
    .split('\n')
    .filter((l) => !/^\s*Ignoring supplied major/.test(l))
    .join('\n');
  const j = JSON.parse(json) as { report: Record<string, Row[]>[] };
  return Object.values(j.report[0]!)[0]!;
}

function file(name: string, size: number): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, '');
  fs.truncateSync(f, size);
  return f;
}

async function scanFiles(files: string[], names: string[], readOnly = true): Promise<{ scan: LvmScan; close: () => Promise<void> }> {
  const devs = await Promise.all(files.map((f, i) => RawFileDevice.open(f, { readOnly, name: names[i] })));
  const scan = await scanLvm(devs.map((dev, i) => ({ name: names[i]!, dev })));
  return { scan, close: async () => void (await Promise.all(devs.map((d) => d.close()))) };
}

/** lvm's view vs ours, field by field (state/open letters of lv_attr differ: lvm cannot see dm here). */
function compareReports(scan: LvmScan, devices: string[]): void {
  const lvsR = report('lvs', 'vg_name,lv_name,lv_uuid,lv_attr,lv_size,seg_count,lv_tags,origin', devices);
  const vgsR = report('vgs', 'vg_name,vg_uuid,vg_attr,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,pv_count,lv_count,snap_count,vg_seqno,vg_mda_count,vg_mda_free', devices);
  const pvsR = report('pvs', 'pv_name,pv_uuid,pv_attr,pv_size,dev_size,pv_free,pv_used,pv_pe_count,pv_pe_alloc_count,pe_start,pv_mda_count,pv_mda_free', devices);

  expect(lvmPvs(scan)).toEqual(pvsR.map((r) => r.pv_name).sort());
  expect(lvmVgs(scan)).toEqual(vgsR.map((r) => r.vg_name).sort());
  expect(lvmLvs(scan)).toEqual(lvsR.map((r) => `/dev/${r.vg_name}/${r.lv_name}`).sort());

  const ours = lvmLvsFull(scan);
  expect(ours.map((l) => l.lv_name)).toEqual(lvsR.map((r) => r.lv_name));
  ours.forEach((l, i) => {
    const r = lvsR[i]!;
    expect(l.lv_uuid).toBe(r.lv_uuid!.replace(/-/g, ''));
    expect(l.lv_size).toBe(Number(r.lv_size));
    expect(l.seg_count).toBe(Number(r.seg_count));
    expect(l.lv_tags).toBe(r.lv_tags);
    expect(l.origin).toBe(r.origin);
    const mask = (a: string) => a.slice(0, 4) + a.slice(6);
    expect(mask(l.lv_attr)).toBe(mask(r.lv_attr!));
  });

  const vgs = lvmVgsFull(scan);
  expect(vgs.length).toBe(vgsR.length);
  vgs.forEach((v, i) => {
    const r = vgsR[i]!;
    expect({ ...v, vg_uuid: v.vg_uuid }).toMatchObject({
      vg_name: r.vg_name,
      vg_uuid: r.vg_uuid!.replace(/-/g, ''),
      vg_attr: r.vg_attr,
      vg_size: Number(r.vg_size),
      vg_free: Number(r.vg_free),
      vg_extent_size: Number(r.vg_extent_size),
      vg_extent_count: Number(r.vg_extent_count),
      vg_free_count: Number(r.vg_free_count),
      pv_count: Number(r.pv_count),
      lv_count: Number(r.lv_count),
      snap_count: Number(r.snap_count),
      vg_seqno: Number(r.vg_seqno),
      vg_mda_count: Number(r.vg_mda_count),
      vg_mda_free: Number(r.vg_mda_free),
    });
  });

  const pvs = lvmPvsFull(scan);
  pvs.forEach((p, i) => {
    const r = pvsR[i]!;
    expect(p).toMatchObject({
      pv_name: r.pv_name,
      pv_uuid: r.pv_uuid!.replace(/-/g, ''),
      pv_attr: r.pv_attr,
      pv_size: Number(r.pv_size),
      dev_size: Number(r.dev_size),
      pv_free: Number(r.pv_free),
      pv_used: Number(r.pv_used),
      pv_pe_count: Number(r.pv_pe_count),
      pv_pe_alloc_count: Number(r.pv_pe_alloc_count),
      pe_start: Number(r.pe_start),
      pv_mda_count: Number(r.pv_mda_count),
      pv_mda_free: Number(r.pv_mda_free),
    });
  });
}

/** Segments as lvm reports them: [lv, seg_start_pe (LE), "dev:a-b dev:c-d", stripe_size bytes]. */
function segments(devices: string[]): { lv: string; le: number; ranges: { dev: string; from: number; to: number }[]; stripeSize: number }[] {
  return report('lvs', 'lv_name,seg_start_pe,seg_pe_ranges,stripe_size', devices, ['--segments']).map((r) => ({
    lv: r.lv_name!,
    le: Number(r.seg_start_pe),
    stripeSize: Number(r.stripe_size),
    ranges: r
      .seg_pe_ranges!.trim()
      .split(/\s+/)
      .map((x) => {
        const m = /^(.*):(\d+)-(\d+)$/.exec(x)!;
        return { dev: m[1]!, from: Number(m[2]), to: Number(m[3]) };
      }),
  }));
}

describe.skipIf(!HAVE)('against the lvm2 tools (loop devices)', () => {
  it('reads a VG made by pvcreate/vgcreate/lvcreate: linear, spanning and striped LVs with ext4 inside', async () => {
    const f1 = file('real1.img', 64 * MiB);
    const f2 = file('real2.img', 48 * MiB);
    const f3 = file('real3.img', 16 * MiB);
    const l1 = attach(f1);
    const l2 = attach(f2);
    const l3 = attach(f3);
    const devs = [l1, l2, l3];
    // sda-like: one metadata area; the second PV keeps two (one at its end); the third none.
    lvm(['pvcreate', '-q', l1], devs);
    lvm(['pvcreate', '-q', '--pvmetadatacopies', '2', l2], devs);
    lvm(['pvcreate', '-q', '--pvmetadatacopies', '0', l3], devs);
    lvm(['vgcreate', '-q', '-s', '4m', 'vgreal', l1, l2, l3], devs);
    const mk = (...a: string[]) => lvm(['lvcreate', '-q', '--driverloaded', 'n', '-an', '-Zn', '-Wn', ...a], devs);
    mk('-L', '12m', '-n', 'root', 'vgreal', l1);
    mk('-L', '8m', '-n', 'home', '--addtag', 'data', 'vgreal', l2);
    mk('-i', '2', '-I', '64k', '-L', '16m', '-n', 'striped', 'vgreal');
    mk('-L', '64m', '-n', 'span', 'vgreal', l1, l2);
    mk('-L', '8m', '-n', 'nomda', 'vgreal', l3);
    const segs = segments(devs);
    expect(segs.filter((s) => s.lv === 'span').length).toBe(2);
    const pvInfo = report('pvs', 'pv_name,pe_start', devs);
    const peStart = Object.fromEntries(pvInfo.map((r) => [r.pv_name!, Number(r.pe_start)]));
    const extent = Number(report('vgs', 'vg_extent_size', devs)[0]!.vg_extent_size);
    const fileOf: Record<string, string> = { [l1]: f1, [l2]: f2, [l3]: f3 };

    // Put data into the LVs with plain file writes at the places lvm reports.
    const put = (lv: string, data: Uint8Array) => {
      for (const s of segs.filter((x) => x.lv === lv)) {
        const n = s.ranges.length;
        const perStripe = (s.ranges[0]!.to - s.ranges[0]!.from + 1) * extent;
        const fds = s.ranges.map((r) => fs.openSync(fileOf[r.dev]!, 'r+'));
        const chunk = n > 1 ? s.stripeSize : perStripe;
        for (let c = 0; c * chunk < perStripe * n; c++) {
          const r = s.ranges[c % n]!;
          const at = peStart[r.dev]! + r.from * extent + Math.floor(c / n) * chunk;
          const src = s.le * extent + c * chunk;
          fs.writeSync(fds[c % n]!, data.subarray(src, src + chunk), 0, chunk, at);
        }
        fds.forEach((fd) => fs.closeSync(fd));
      }
    };
    const rnd = (n: number, seed: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 2654435761 + seed) >>> 24;
      return b;
    };
    const stripedData = rnd(16 * MiB, 7);
    const spanData = rnd(64 * MiB, 9);
    put('striped', stripedData);
    put('span', spanData);
    let rootImg: Uint8Array | undefined;
    if (haveCommand('mkfs.ext4')) {
      const dir = path.join(tmp, 'rootdir');
      fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'etc', 'os-release'), 'ID=fedora\n');
      const img = path.join(tmp, 'root.ext4');
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', dir, img, '12M'], { stdio: 'ignore' });
      rootImg = new Uint8Array(fs.readFileSync(img));
      put('root', rootImg);
    }

    const opened = await scanFiles([f1, f2, f3], [l1, l2, l3]);
    try {
      const { scan } = opened;
      expect(scan.warnings).toEqual([]);
      compareReports(scan, devs);
      const get = (n: string) => scan.lvs.find((l) => l.name === n)!.dev!;
      expect(Buffer.from(await get('striped').read(0, 16 * MiB)).equals(Buffer.from(stripedData))).toBe(true);
      expect(Buffer.from(await get('span').read(0, 64 * MiB)).equals(Buffer.from(spanData))).toBe(true);
      if (rootImg) {
        const back = await get('root').read(0, rootImg.length);
        expect(Buffer.from(back).equals(Buffer.from(rootImg))).toBe(true);
        if (haveCommand('debugfs')) {
          const out = path.join(tmp, 'root.back');
          fs.writeFileSync(out, back);
          expect(execFileSync('debugfs', ['-R', 'cat /etc/os-release', out], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toBe('ID=fedora\n');
        }
      }
    } finally {
      await opened.close();
    }

    // Change the VG with lvm (seqno goes up on both PVs) and read it again.
    lvm(['lvremove', '-q', '-f', 'vgreal/home'], devs);
    const again = await scanFiles([f1, f2, f3], [l1, l2, l3]);
    try {
      compareReports(again.scan, devs);
      expect(lvmLvs(again.scan)).not.toContain('/dev/vgreal/home');
    } finally {
      await again.close();
    }

    // Without the second PV: partial, the LVs on it left out.
    detach(l2);
    const half = await scanFiles([f1, f3], [l1, l3]);
    try {
      expect(half.scan.vgs[0]!.partial).toBe(true);
      expect(half.scan.lvs.find((l) => l.name === 'root')!.dev).toBeDefined();
      expect(half.scan.lvs.find((l) => l.name === 'span')!.dev).toBeUndefined();
      expect(half.scan.lvs.find((l) => l.name === 'striped')!.dev).toBeUndefined();
      expect(half.scan.lvs.find((l) => l.name === 'nomda')!.dev).toBeDefined();
    } finally {
      await half.close();
    }
    detach(l1);
    detach(l3);
  });

  it('lvm accepts what pv-writer writes, including metadata that wraps', async () => {
    const size = [64 * MiB, 40 * MiB];
    const mem = size.map((s, i) => new MemoryDevice(s, `pv${i}`));
    await writeLvm({
      vgName: 'vgw',
      pvs: mem.map((dev) => ({ dev })),
      // near the end of the 1020 KiB area: the text wraps to just after the header
      metadataOffset: MiB - 4096 - 600,
      lvs: [
        { name: 'stripes', size: 8 * MiB, stripes: 2, stripeSize: 128 * 1024, tags: ['a', 'b'] },
        { name: 'root', size: 40 * MiB },
        { name: 'span', size: 32 * MiB },
        { name: 'ro', extents: 1, readOnly: true },
        { name: 'fixed', extents: 1, status: ['FIXED_MINOR'], extra: { major: 253, minor: 9 } },
      ],
    });
    const files = mem.map((m, i) => {
      const f = path.join(tmp, `w${i}.img`);
      fs.writeFileSync(f, m.data);
      return f;
    });
    const ls = files.map(attach);
    lvm(['vgck', 'vgw'], ls);
    const opened = await scanFiles(files, ls);
    try {
      compareReports(opened.scan, ls);
      const ours = opened.scan.lvs;
      for (const s of segments(ls)) {
        const lv = ours.find((l) => l.name === s.lv)!;
        const seg = lv.meta.segments.find((x) => x.startExtent === s.le)!;
        expect(seg.stripes.map((st) => st.startExtent)).toEqual(s.ranges.map((r) => r.from));
      }
      expect(lvmLvsFull(opened.scan).find((l) => l.lv_name === 'fixed')).toMatchObject({ lv_major: 253, lv_minor: 9 });
    } finally {
      await opened.close();
    }
    // lvm writes its next copy after our wrapped one; we read that back.
    lvm(['lvcreate', '-q', '--driverloaded', 'n', '-an', '-Zn', '-Wn', '-L', '4m', '-n', 'more', 'vgw'], ls);
    const again = await scanFiles(files, ls);
    try {
      expect(again.scan.vgs[0]!.seqno).toBe(2);
      expect(lvmLvs(again.scan)).toContain('/dev/vgw/more');
      compareReports(again.scan, ls);
    } finally {
      await again.close();
    }
    ls.forEach(detach);
  });
});
