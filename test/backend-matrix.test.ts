/**
 * Every tool on every fixture guest on every backend. For each guest one handle per
 * backend (read-only drives; the auto handle doubles as the backend auto picks, so each
 * guest boots the appliance once) runs each tool's computation, printed by the tool's own
 * output code; wasm and appliance must print the same, and where a real libguestfs tool
 * was captured on the same guest (test/golden) that too. Guests the wasm backend cannot
 * read check its refusal instead. Adding a guest or a tool is one entry in a table
 * (GUESTS here, MATRIX_TOOLS in helpers/matrix-tools.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/core/guestfs.js';
import { inspectAndMount } from '../src/inspect/mount-inspected.js';
import { haveQemu } from './helpers/backends.js';
import { fixture, GOLDEN } from './helpers/fixtures.js';
import { MATRIX_TOOLS, type MatrixContext, type MatrixGuest } from './helpers/matrix-tools.js';

const LINUX_FISH = 'list-filesystems\nls /etc\ncat /etc/hostname\nis-dir /boot\nchecksum md5 /etc/hostname\n';
const NO_OS = 'has no operating system: virt-customize needs one';
const BTRFS_READ_ONLY = 'btrfs is read-only in process: a write moves the session to the appliance (test/btrfs.test.ts)';
const XFS_READ_ONLY = 'xfs is read-only in process: a write moves the session to the appliance (test/xfs.test.ts, test/backend-auto.test.ts)';

export const GUESTS: MatrixGuest[] = [
  {
    image: 'ext4.img', wasm: true, auto: { backend: 'wasm', reason: /ext4 is read in process/ },
    mounts: [['/dev/sda', '/']], cat: ['/etc/hostname', '/home/user/hello.txt'], ls: '/', lsChecksum: '/home',
    fish: 'list-filesystems\nls /home/user\nreadlink /home/user/link-relative\nstatvfs /\n', customizeFile: '/x',
    goldens: { df: 'virt-df__ext4', cat: 'virt-cat__ext4__hostname_hello', 'ls -lR': 'virt-ls__ext4__lR_root', 'ls -lR --checksum': 'virt-ls__ext4__checksum_lR_home' },
    skip: { inspect: NO_OS, customize: NO_OS, sysprep: NO_OS },
  },
  {
    image: 'fedora.img', wasm: true, auto: { backend: 'wasm', reason: /ext4 is read in process/ },
    mounts: 'inspect', cat: ['/etc/hostname', '/etc/fstab'], ls: '/etc', lsChecksum: '/boot',
    fish: `${LINUX_FISH}lvs\npart-list /dev/sda\n`, customizeFile: '/etc/guestkit-matrix',
  },
  {
    image: 'debian-efi.img', wasm: true, auto: { backend: 'wasm', reason: /ext4, vfat are read in process/ },
    mounts: 'inspect', cat: ['/etc/hostname', '/etc/os-release'], ls: '/boot', lsChecksum: '/etc',
    fish: `${LINUX_FISH}ls /boot/efi\n`, customizeFile: '/etc/guestkit-matrix',
  },
  {
    image: 'alpine.img', wasm: true, auto: { backend: 'wasm', reason: /read in process/ },
    mounts: 'inspect', cat: ['/etc/hostname', '/etc/alpine-release'], ls: '/etc', lsChecksum: '/etc',
    fish: LINUX_FISH, customizeFile: '/etc/guestkit-matrix',
  },
  {
    image: 'fedora-optxfs.img', wasm: true, auto: { backend: 'wasm', reason: /ext4, xfs are read in process/ },
    skip: { customize: XFS_READ_ONLY, sysprep: XFS_READ_ONLY },
    mounts: 'inspect', cat: ['/etc/hostname', '/opt/app/README'], ls: '/opt', lsChecksum: '/opt',
    fish: `${LINUX_FISH}lvs\nls /opt/app\nreadlink /opt/app/bin/current\n`, customizeFile: '/opt/guestkit-matrix',
  },
  {
    image: 'fedora-xfs.img', wasm: true, auto: { backend: 'wasm', reason: /ext4, vfat, xfs are read in process/ },
    skip: { customize: XFS_READ_ONLY, sysprep: XFS_READ_ONLY },
    mounts: 'inspect', cat: ['/etc/hostname', '/etc/fstab'], ls: '/etc', lsChecksum: '/boot',
    fish: `${LINUX_FISH}lvs\nls /boot/efi\n`, customizeFile: '/etc/guestkit-matrix',
  },
  {
    image: 'opensuse.img', wasm: true, auto: { backend: 'wasm', reason: /btrfs, vfat are read in process/ },
    skip: { customize: BTRFS_READ_ONLY, sysprep: BTRFS_READ_ONLY },
    mounts: 'inspect', cat: ['/etc/hostname', '/etc/os-release'], ls: '/etc', lsChecksum: '/etc',
    fish: `${LINUX_FISH}btrfs-subvolume-list /\n`, customizeFile: '/etc/guestkit-matrix',
    // virt-df prints no per-subvolume rows on it: one row per filesystem device, as here.
    goldens: { df: 'virt-df__opensuse' },
  },
  {
    image: 'windows-dual.img', wasm: true, auto: { backend: 'wasm', reason: /ntfs is read in process/ },
    mounts: 'inspect', cat: ['/Windows/System32/config/SYSTEM'], ls: '/Windows', lsChecksum: '/Windows/System32',
    fish: 'list-filesystems\nls /\nis-dir /Windows/System32\ninspect-get-drive-mappings /dev/sda1\n', customizeFile: '/guestkit-matrix.txt',
  },
  {
    image: 'ubuntu.img', wasm: true, auto: { backend: 'wasm', reason: /ext4, vfat are read in process/ },
    mounts: 'inspect', cat: ['/etc/hostname', '/etc/os-release'], ls: '/boot/efi', lsChecksum: '/etc',
    fish: `${LINUX_FISH}ls /boot/efi/EFI\n`, customizeFile: '/etc/guestkit-matrix',
  },
];

type Outputs = Map<string, string>;

/** Launches a read-only handle on the guest, runs every tool in phase order; a tool's failure is its output. */
async function runTools(g: Guestfs, guest: MatrixGuest): Promise<Outputs> {
  const out: Outputs = new Map();
  const ctx: MatrixContext = { g, guest };
  const run = async (phase: 'bare' | 'mounted') => {
    for (const t of MATRIX_TOOLS.filter((x) => x.phase === phase && !guest.skip?.[x.name])) {
      try {
        out.set(t.name, await t.run(ctx));
      } catch (e) {
        out.set(t.name, `error: ${(e as Error).message}`);
      }
    }
  };
  g.addDrive(fixture(guest.image), { readonly: true });
  await g.launch();
  await run('bare');
  // Read-write mounts over read-only drives: customize's writes land in throw-away overlays.
  // Without customize, read-only mounts (a write to xfs would move an auto session to the appliance).
  const readOnly = !!guest.skip?.customize;
  if (guest.mounts === 'inspect') ctx.facts = await inspectAndMount(g, { readOnly });
  else for (const [dev, mp] of guest.mounts) await (readOnly ? g.mountRo(dev, mp) : g.mount(dev, mp));
  await run('mounted');
  return out;
}

const golden = (name: string) => readFileSync(join(GOLDEN, `${name}.out`), 'utf8');

describe.each(GUESTS.filter((g) => haveQemu || g.auto.backend === 'wasm'))('$image', (guest) => {
  const results: Partial<Record<'wasm' | 'appliance', Outputs>> = {};
  let autoChoice: { name: string; reason: string } | undefined;
  let wasmRefusal: unknown;
  const handles: Guestfs[] = [];
  const open = (backend: 'auto' | 'wasm' | 'appliance') => {
    const g = new Guestfs({ backend });
    handles.push(g);
    return g;
  };

  beforeAll(async () => {
    const auto = open('auto');
    const autoOut = await runTools(auto, guest);
    autoChoice = auto.backendChoice;
    results[guest.auto.backend] = autoOut;
    if (guest.auto.backend === 'wasm' && haveQemu) results.appliance = await runTools(open('appliance'), guest);
    if (!guest.wasm) {
      const w = open('wasm');
      w.addDrive(fixture(guest.image), { readonly: true });
      await w.launch();
      wasmRefusal = await w.mountRo(guest.refusedDevice!, '/').then(() => undefined, (e: unknown) => e);
    }
    await Promise.all(handles.map((g) => g.close()));
    // MATRIX_DUMP=DIR: every output in DIR (GUEST.BACKEND.TOOL), to read a difference at leisure.
    const dump = process.env.MATRIX_DUMP;
    if (dump) {
      for (const [b, outs] of Object.entries(results)) for (const [t, text] of outs) writeFileSync(join(dump, `${guest.image}.${b}.${t.replace(/\W+/g, '_')}`), text);
    }
  }, 900_000);
  afterAll(async () => {
    await Promise.all(handles.map((g) => g.close().catch(() => undefined)));
  });

  it('auto picks the backend that serves it, and says why; every backend that serves it ran', () => {
    expect(Object.keys(results).sort()).toEqual([...(haveQemu ? ['appliance'] : []), ...(guest.wasm ? ['wasm'] : [])]);
    expect(autoChoice?.name).toBe(guest.auto.backend);
    expect(autoChoice?.reason).toMatch(guest.auto.reason);
  });

  it.skipIf(guest.wasm)('the wasm backend refuses it in one line, pointing to the appliance', () => {
    expect(String((wasmRefusal as Error)?.message)).toMatch(/(xfs|btrfs) filesystems are not supported by the wasm backend: use --backend=appliance$/);
  });

  const tools = MATRIX_TOOLS.filter((t) => !guest.skip?.[t.name]);
  it.each(tools.map((t) => t.name))('%s: no errors, the same text on both backends', (tool) => {
    const served = Object.entries(results);
    expect(served.length).toBeGreaterThan(0);
    for (const [, outs] of served) {
      const text = outs.get(tool)!;
      expect(text).not.toMatch(/^error: /);
      expect(text.length).toBeGreaterThan(0);
    }
    if (results.wasm && results.appliance) expect(results.appliance.get(tool)).toBe(results.wasm.get(tool));
  });

  const goldens = Object.entries(guest.goldens ?? {});
  it.skipIf(goldens.length === 0)('prints what libguestfs printed on it (goldens)', () => {
    for (const [tool, name] of goldens) {
      for (const outs of Object.values(results)) expect(outs.get(tool), `${tool} vs ${name}`).toBe(golden(name!));
    }
  });
});
