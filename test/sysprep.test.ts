/**
 * guestkit sysprep end to end (built CLI, wasm backend): the effect of a default
 * run on seeded copies of the fixture guests, compared (through guestkit diff)
 * with what virt-sysprep 1.48.2 did to the same seeded images
 * (test/golden/sysprep/, see NOTES.md there); its progress messages; the
 * --list-operations golden; operation selection; the refusals (LVM UUIDs on
 * wasm, --script, -d) leaving the image untouched; user-account; customize
 * options run by the customize operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveQemu } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { fixture, GOLDEN, scratch, sha256 } from './helpers/fixtures.js';
import { OperationSelection } from '../src/sysprep/operation-set.js';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { chooseBackend } from '../src/core/backend-choice.js';

const G = join(GOLDEN, 'sysprep');
const golden = (name: string) => readFileSync(join(G, name), 'utf8');
/** A golden without its first (## note) line. */
const goldenBody = (name: string) => golden(name).replace(/^##[^\n]*\n/, '');

let dir: string, cleanup: () => void;
const seeded: Record<string, string> = {};
const env = { GUESTKIT_BACKEND: 'wasm' };
const cli = (args: string[]) => runCli(args, { timeoutMs: 60_000, env });

async function seed(name: string, scripts: string[]): Promise<string> {
  const img = join(dir, `${name}-seeded.img`);
  copyFileSync(fixture(`${name}.img`), img);
  for (const s of scripts) {
    const r = await cli(['fish', '-a', img, '-i', '-f', join(G, s)]);
    expect(r.err).toBe('');
  }
  return img;
}

let n = 0;
function copyOf(name: string): string {
  const p = join(dir, `${name}-${n++}.img`);
  copyFileSync(seeded[name]!, p);
  return p;
}

/**
 * The goldens are virt-sysprep 1.48.2's; guestkit has 1.50's operations, which
 * add lvm-system-devices (run by default) to them: its line, where it belongs.
 */
const since150 = {
  list: (g: string) => g.replace(/^lvm-uuids /m, 'lvm-system-devices * Remove LVM2 system.devices file\nlvm-uuids '),
  messages: (g: string) => g.replace('[TIME] Performing "machine-id" ...\n', '[TIME] Performing "lvm-system-devices" ...\n[TIME] Performing "machine-id" ...\n'),
};

const maskMachineId = (diff: string) => diff.replace(/^\+[0-9a-f]{32}$/gm, '+<random machine id>');
const asVirtSysprep = (out: string) => out.replace(/^\[ *[0-9.]+\] /gm, '[TIME] ').replace(/^guestkit sysprep:/gm, 'virt-sysprep:');

async function diffAgainstSeed(name: string, after: string): Promise<string> {
  const r = await cli(['diff', '-a', seeded[name]!, '-A', after]);
  expect(r.err).toBe('');
  return maskMachineId(r.out);
}

beforeAll(async () => {
  ({ dir, cleanup } = scratch());
  seeded.ubuntu = await seed('ubuntu', ['seed-linux-common.gf', 'seed-ubuntu.gf']);
  seeded.fedora = await seed('fedora', ['seed-linux-common.gf', 'seed-fedora.gf']);
  seeded.windows = await seed('windows', ['seed-windows.gf']);
}, 60_000);
afterAll(() => cleanup());

describe.concurrent('sysprep: a default run matches virt-sysprep 1.48.2', () => {
  it('--list-operations is virt-sysprep\'s, byte for byte (plus 1.50\'s lvm-system-devices)', async () => {
    const r = await cli(['sysprep', '--list-operations']);
    expect(r.status).toBe(0);
    expect(r.out).toBe(since150.list(golden('list-operations.out')));
  });

  for (const name of ['ubuntu', 'windows']) {
    it(`${name}: the files removed and changed, and the messages`, async () => {
      const img = copyOf(name);
      const r = await cli(['sysprep', '-a', img]);
      expect(r.err).toBe('');
      expect(r.status).toBe(0);
      expect(asVirtSysprep(r.out)).toBe(since150.messages(goldenBody(`${name}.messages`)));
      expect(await diffAgainstSeed(name, img)).toBe(goldenBody(`${name}.diff`));
    });
  }

  it('two guests on two drives: each in turn, each disk changed as virt-sysprep changed it alone', async () => {
    const [ubuntu, windows] = [copyOf('ubuntu'), copyOf('windows')];
    const r = await cli(['sysprep', '-a', ubuntu, '-a', windows]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const alone = (name: string) => since150.messages(goldenBody(`${name}.messages`));
    expect(asVirtSysprep(r.out)).toBe(alone('ubuntu') + alone('windows').replace('[TIME] Examining the guest ...\n', ''));
    expect(await diffAgainstSeed('ubuntu', ubuntu)).toBe(goldenBody('ubuntu.diff'));
    expect(await diffAgainstSeed('windows', windows)).toBe(goldenBody('windows.diff'));
  });

  it('fedora (LVM): in process, the same files and messages as virt-sysprep, and new PV and VG UUIDs that lvm accepts', async () => {
    const img = copyOf('fedora');
    const uuids = async () => (await cli(['fish', '--ro', '-a', img, 'run', ':', 'pvuuid', '/dev/sda2', ':', 'vguuid', 'fedora'])).out;
    const before = await uuids();
    const r = await cli(['sysprep', '-v', '-a', img]);
    expect(r.status).toBe(0);
    // lvm-uuids no longer needs the appliance: ext4 and the LVM metadata are written in process.
    expect(r.err).toMatch(/^guestkit sysprep: backend: wasm /m);
    expect(asVirtSysprep(r.out)).toBe(since150.messages(goldenBody('fedora.messages')));
    expect(await diffAgainstSeed('fedora', img)).toBe(goldenBody('fedora.diff'));
    const after = await uuids();
    const [pv, vg] = after.trim().split('\n');
    expect(pv).toMatch(/^[0-9A-Za-z]{6}(-[0-9A-Za-z]{4}){5}-[0-9A-Za-z]{6}$/);
    expect(before.trim().split('\n')).not.toContain(pv);
    expect(before.trim().split('\n')).not.toContain(vg);
    if (!haveQemu) return;
    // The appliance's lvm reads them: the checks pass, the new UUIDs are listed, the LVs activate and mount.
    const lvm = await runCli(['fish', '--backend=appliance', '--ro', '-a', img, 'run', ':', 'debug', 'sh',
      'lvm vgck fedora && lvm pvck /dev/vda2 >/dev/null && lvm pvs --noheadings -o pv_uuid,vg_uuid,vg_seqno', ':',
      'vg-activate-all', 'true', ':', 'mount-ro', '/dev/fedora/root', '/', ':', 'cat', '/etc/hostname'], { timeoutMs: 60_000, env });
    expect(lvm.err).toBe('');
    expect(lvm.out).toMatch(new RegExp(`^ +${pv} +${vg} +3\n`, 'm'));
    expect(lvm.out).toMatch(/fedora-guest\.example\.com/);
  }, 90_000);

  it('fedora (LVM) with a logical volume mounted: pvchange-uuid-all is refused, the image untouched', async () => {
    const img = copyOf('fedora');
    const before = sha256(img);
    const r = await cli(['fish', '-a', img, 'run', ':', 'mount', '/dev/fedora/root', '/', ':', 'pvchange-uuid-all']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/\/dev\/fedora\/root: logical volume is mounted \(umount it first\)/);
    expect(sha256(img)).toBe(before);
  });
});

describe.concurrent('sysprep: options', () => {
  it('--dry-run changes nothing', async () => {
    const img = copyOf('ubuntu');
    const before = sha256(img);
    const r = await cli(['sysprep', '-n', '-a', img]);
    expect(r.status).toBe(0);
    expect(r.out).toContain('Performing "ssh-hostkeys" ...');
    expect(sha256(img)).toBe(before);
  });

  it('--enable runs only the operations named, in name order', async () => {
    const img = copyOf('ubuntu');
    const r = await cli(['sysprep', '-a', img, '--enable', 'tmp-files,bash-history']);
    expect(r.status).toBe(0);
    expect(asVirtSysprep(r.out)).toBe('[TIME] Examining the guest ...\n[TIME] Performing "bash-history" ...\n[TIME] Performing "tmp-files" ...\n');
    const diff = await diffAgainstSeed('ubuntu', img);
    expect(diff.split('\n').filter((l) => l.startsWith('- ')).map((l) => l.split(' ').pop())).toEqual([
      '/home/alice/.bash_history', '/root/.bash_history', '/tmp/.X0-lock', '/tmp/session', '/tmp/session/x', '/var/tmp/cache',
    ]);
  });

  it('-q silences the progress messages', async () => {
    const img = copyOf('ubuntu');
    const r = await cli(['sysprep', '-q', '-a', img, '--enable', 'utmp']);
    expect(r.status).toBe(0);
    expect(r.out).toBe('');
  });

  it('an IPA CA certificate removed on wasm: rebuilding the CA store needs the appliance; the image untouched', async () => {
    const img = copyOf('ubuntu');
    const gf = join(dir, 'ipa-ca.gf');
    writeFileSync(gf, 'mkdir-p /usr/local/share/ca-certificates\nwrite /usr/local/share/ca-certificates/ipa-ca.crt "cert"\n');
    expect((await cli(['fish', '-a', img, '-i', '-f', gf])).err).toBe('');
    const before = sha256(img);
    const r = await cli(['sysprep', '-q', '-a', img, '--enable', 'ipa-client']);
    expect(r.status).toBe(1);
    expect(r.err).toBe("guestkit sysprep: error: updating the guest's CA store (update-ca-certificates) after removing certificates is not supported by the wasm backend: use --backend=appliance\n");
    expect(sha256(img)).toBe(before);
  });

  it.skipIf(!haveQemu)('--script runs in the appliance, its current directory the guest root; a failing script changes nothing', async () => {
    const img = copyOf('ubuntu');
    const good = join(dir, 'prep.sh');
    writeFileSync(good, '#!/bin/sh\nset -e\necho "cwd holds $(ls -d etc)"\necho scripted > etc/scripted\nrm -f etc/hostname\n');
    const auto = (args: string[]) => runCli(args, { timeoutMs: 240_000, env: { GUESTKIT_BACKEND: 'auto' } });
    const r = await auto(['sysprep', '-q', '-a', img, '--operations', 'script', '--script', good]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe('cwd holds etc\n');
    expect((await cli(['cat', '-a', img, '/etc/scripted'])).out).toBe('scripted\n');
    expect((await cli(['cat', '-a', img, '/etc/hostname'])).status).toBe(1);

    const other = copyOf('ubuntu');
    const before = sha256(other);
    const bad = join(dir, 'bad.sh');
    writeFileSync(bad, '#!/bin/sh\necho partial > etc/partial\nexit 3\n');
    const f = await auto(['sysprep', '-q', '-a', other, '--operations', 'script', '--script', bad]);
    expect(f.status).toBe(1);
    expect(f.err).toMatch(/^guestkit sysprep: error: script: .*bad\.sh failed: [^\n]*\n$/);
    expect(sha256(other)).toBe(before);
  });

  it('a --script that does not exist: one line naming it, image untouched', async () => {
    const img = copyOf('ubuntu');
    const before = sha256(img);
    const r = await runCli(['sysprep', '-q', '-a', img, '--operations', 'script', '--script', join(dir, 'no-such-script')], { timeoutMs: 240_000, env: { GUESTKIT_BACKEND: 'auto' } });
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit sysprep: error: script: .*no-such-script: ENOENT[^\n]*\n$/);
    expect(sha256(img)).toBe(before);
  });
});

describe('sysprep: bad options are refused before anything is opened', () => {
  const refused: [string, string[], string][] = [
    ['no -a', [], 'you must give either -a or -d options.  Read virt-sysprep(1) man page for further information.'],
    ['-d', ['-d', 'guest1'], "-d guest1: libvirt domains are not supported: give the guest's disk images with -a"],
    ['an unknown --enable', ['-a', 'X', '--enable', 'bogus'], '--enable: ‘bogus’ is not a known operation'],
    ['--enable twice', ['-a', 'X', '--enable', 'utmp', '--enable', 'tmp-files'], '--enable option can only be given once'],
    ['an empty --enable', ['-a', 'X', '--enable', ''], 'you cannot pass an empty argument to --enable'],
    ['an unknown --operations', ['-a', 'X', '--operations', 'utmp,-nope'], '--operations: ‘nope’ is not a known operation'],
    ['an empty --operations name', ['-a', 'X', '--operations', 'utmp,'], '--operations: empty operation name'],
    ['--keep-user-accounts without user-account', ['-a', 'X', '--keep-user-accounts', 'bob'], 'user-accounts: --keep-user-accounts parameter was used, but the "user-account" operation is not enabled'],
    ['an empty user name', ['-a', 'X', '--enable', 'user-account', '--remove-user-accounts', 'bob,'], 'user-accounts: empty user name'],
    ['a bad customize option', ['-a', 'X', '--chmod', 'rwx:/etc/motd'], "--chmod: invalid permissions 'rwx': expected a number (octal with a leading 0, e.g. 0755)"],
    ['--format after the last -a', ['-a', 'X', '--format', 'raw'], '--format parameter must appear before -a parameter'],
  ];
  for (const [what, args, message] of refused) {
    it.concurrent(`${what}`, async () => {
      const r = await cli(['sysprep', ...args.map((a) => (a === 'X' ? join(dir, 'does-not-exist.img') : a))]);
      expect(r.status).toBe(1);
      expect(r.err).toBe(`guestkit sysprep: error: ${message}\n`);
    });
  }

});

describe('sysprep: operation selection (virt-sysprep rules)', () => {
  const names = (s: OperationSelection) => s.selected().map((o) => o.name);
  it('defaults: customize last, no non-default operation', () => {
    const s = names(new OperationSelection());
    expect(s.at(-1)).toBe('customize');
    expect(s).not.toContain('user-account');
    expect(s).toContain('lvm-uuids');
    expect(s).toHaveLength(38);
  });
  it('--operations: groups, prefixes, accumulation', () => {
    const s = new OperationSelection();
    s.operations('defaults,-ssh-userdir');
    s.operations('user-account');
    expect(names(s)).toContain('user-account');
    expect(names(s)).not.toContain('ssh-userdir');
    const t = new OperationSelection();
    t.operations('all,-defaults');
    expect(names(t)).toEqual(['ca-certificates', 'firewall-rules', 'flag-reconfiguration', 'fs-uuids', 'kerberos-data', 'user-account']);
  });
  it('--enable after --operations is refused', () => {
    const s = new OperationSelection();
    s.operations('utmp');
    expect(() => s.enable('tmp-files')).toThrow('--enable option can only be given once');
  });
});

describe('sysprep: the backend choice', () => {
  const choose = async (name: string) => {
    const w = new WasmBackend();
    await w.launch([{ file: fixture(name), readonly: true }]);
    try {
      return (await chooseBackend(w, { writes: true, lvmCommands: ['pvchange-uuid-all', 'vgchange-uuid-all'] })).name;
    } finally {
      await w.shutdown();
    }
  };
  it('lvm-uuids\' commands run in process: a guest with LVM PVs stays on wasm', async () => {
    expect(await choose('fedora.img')).toBe('wasm');
    expect(await choose('ubuntu.img')).toBe('wasm');
  });
});

describe.concurrent('sysprep: user-account and customize', () => {
  it('user-account (keeping bob) and customize options: what virt-sysprep did', async () => {
    const img = join(dir, 'users.img');
    copyFileSync(seeded.ubuntu!, img);
    expect((await cli(['fish', '-a', img, '-i', '-f', join(G, 'seed-users.gf')])).err).toBe('');
    const before = join(dir, 'users-before.img');
    copyFileSync(img, before);
    const r = await cli(['sysprep', '-a', img, '--enable', 'user-account,customize', '--keep-user-accounts', 'bob', '--hostname', 'clone1', '--write', '/etc/motd:cloned']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(asVirtSysprep(r.out)).toBe(goldenBody('users.messages'));
    expect((await cli(['diff', '-a', before, '-A', img])).out).toBe(goldenBody('users.diff'));
  });

  it('lvm-system-devices removes /etc/lvm/devices/system.devices', async () => {
    const img = copyOf('ubuntu');
    const gf = join(dir, 'lvm-devices.gf');
    writeFileSync(gf, 'mkdir-p /etc/lvm/devices\nwrite /etc/lvm/devices/system.devices "VERSION=1.1.1\\n"\n');
    expect((await cli(['fish', '-a', img, '-i', '-f', gf])).err).toBe('');
    const r = await cli(['sysprep', '-a', img, '--enable', 'lvm-system-devices']);
    expect(r.status).toBe(0);
    expect((await cli(['ls', '-a', img, '/etc/lvm/devices'])).out).toBe('');
  });

  it('SELinux guests get /.autorelabel from the customize operation unless --no-selinux-relabel (1.50)', async () => {
    const img = copyOf('ubuntu');
    const gf = join(dir, 'selinux.gf');
    writeFileSync(gf, 'mkdir-p /usr/sbin\nwrite /usr/sbin/load_policy "#!"\nmkdir-p /etc/selinux\nwrite /etc/selinux/config "SELINUX=enforcing\\n"\n');
    expect((await cli(['fish', '-a', img, '-i', '-f', gf])).err).toBe('');
    const kept = join(dir, 'selinux-no-relabel.img');
    copyFileSync(img, kept);
    expect((await cli(['sysprep', '-q', '-a', kept, '--enable', 'customize', '--no-selinux-relabel'])).status).toBe(0);
    expect((await cli(['cat', '-a', kept, '/.autorelabel'])).status).toBe(1);
    expect((await cli(['sysprep', '-a', img, '--enable', 'customize'])).out).toContain('] SELinux relabelling\n');
    expect((await cli(['cat', '-a', img, '/.autorelabel'])).status).toBe(0);
  });

  it('customize options run after the other operations (--hostname, --write)', async () => {
    const img = copyOf('ubuntu');
    const r = await cli(['sysprep', '-a', img, '--enable', 'customize,utmp', '--hostname', 'clone1', '--write', '/etc/motd:cloned']);
    expect(r.err).toBe('');
    expect(asVirtSysprep(r.out)).toBe([
      '[TIME] Examining the guest ...', '[TIME] Performing "utmp" ...', '[TIME] Performing "customize" ...', '[TIME] Setting a random seed',
      'virt-sysprep: warning: random seed could not be set for this type of guest', '[TIME] Setting the hostname: clone1', '[TIME] Writing: /etc/motd', '',
    ].join('\n'));
    expect((await cli(['cat', '-a', img, '/etc/hostname', '/etc/motd'])).out).toBe('clone1\ncloned');
  });
});
