/**
 * augeas in WASM against the host's augtool (Debian augeas-tools 1.14.0,
 * the same source version), both using the lenses of our build
 * (augtool -S -I wasm/augeas/build/lenses): the same guest files are put
 * into our MEMFS root and into a temporary directory given to augtool
 * --root, the same commands run on both, and trees, matches, values and
 * saved file contents are compared. Without augtool the comparisons are
 * skipped (apt-get install augeas-tools).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUG_NO_LOAD, AUG_NO_MODL_AUTOLOAD, AUG_SAVE_BACKUP, AUG_SAVE_NEWFILE, AUG_SAVE_NOOP,
  AugeasError, LENS_MEMFS_DIR, augeasBuildDir, loadAugeas, type Augeas,
} from '../../../../src/augeas/augeas.js';

const LENSES = join(augeasBuildDir(), 'lenses');
const HAVE_AUGTOOL = spawnSync('augtool', ['--version']).status === 0;
const itAugtool = HAVE_AUGTOOL ? it : it.skip;

const FILES: Record<string, string> = {
  '/etc/hosts':
    '127.0.0.1\tlocalhost\n' +
    '127.0.1.1\tdeb12.example.com deb12\n' +
    '# The following lines are desirable for IPv6 capable hosts\n' +
    '::1     localhost ip6-localhost ip6-loopback\n' +
    'ff02::1 ip6-allnodes\n' +
    'ff02::2 ip6-allrouters\n',
  '/etc/fstab':
    '# /etc/fstab: static file system information.\n' +
    '#\n' +
    '# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n' +
    'UUID=8a1c2f0e-1b7e-4a2b-9d8e-3f2a1b0c9d8e /               ext4    errors=remount-ro 0       1\n' +
    'UUID=1234-ABCD  /boot/efi       vfat    umask=0077      0       1\n' +
    '/dev/mapper/vg-swap none            swap    sw              0       0\n' +
    'tmpfs /tmp tmpfs defaults,nosuid,nodev,size=512m 0 0\n',
  '/etc/passwd':
    'root:x:0:0:root:/root:/bin/bash\n' +
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' +
    'bin:x:2:2:bin:/bin:/usr/sbin/nologin\n' +
    'sys:x:3:3:sys:/dev:/usr/sbin/nologin\n' +
    'games:x:5:60:games:/usr/games:/usr/sbin/nologin\n' +
    'alice:x:1000:1000:Alice Example,,,:/home/alice:/bin/bash\n',
  '/etc/ssh/sshd_config':
    '# sshd config\n' +
    'Include /etc/ssh/sshd_config.d/*.conf\n' +
    'Port 22\n' +
    'PermitRootLogin prohibit-password\n' +
    'AuthorizedKeysFile\t.ssh/authorized_keys .ssh/authorized_keys2\n' +
    'KbdInteractiveAuthentication no\n' +
    'UsePAM yes\n' +
    'X11Forwarding yes\n' +
    'AcceptEnv LANG LC_*\n' +
    'Subsystem\tsftp\t/usr/lib/openssh/sftp-server\n' +
    'Match User anoncvs\n' +
    '\tX11Forwarding no\n' +
    '\tPermitTTY no\n',
  '/etc/sysconfig/network-scripts/ifcfg-eth0':
    'DEVICE=eth0\n' +
    'BOOTPROTO=dhcp\n' +
    'ONBOOT=yes\n' +
    'TYPE=Ethernet\n' +
    '# managed by hand\n' +
    'HWADDR="52:54:00:12:34:56"\n',
  '/etc/os-release':
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' +
    'NAME="Debian GNU/Linux"\n' +
    'VERSION_ID="12"\n' +
    'VERSION="12 (bookworm)"\n' +
    'VERSION_CODENAME=bookworm\n' +
    'ID=debian\n' +
    'HOME_URL="https://www.debian.org/"\n',
};

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

/** A host directory holding `files`, for augtool --root. */
function hostRoot(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gk-augtool-'));
  tmpRoots.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** Every regular file under `dir`, as guest paths. */
function hostFiles(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, sub))) {
    const rel = `${sub}/${name}`;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...hostFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** Runs augtool with our lenses on `root`; commands one per line. */
function augtool(root: string, commands: string[], args: string[] = []): { out: string[]; err: string; status: number } {
  const r = spawnSync('augtool', ['-r', root, '-S', '-I', LENSES, ...args], {
    input: commands.join('\n') + '\n',
    encoding: 'utf8',
  });
  const out = r.stdout.split('\n').filter((l) => l !== '');
  return { out, err: r.stderr, status: r.status ?? -1 };
}

/** Runs several command groups in one augtool run (lenses load once); output per group. */
function augtoolGroups(root: string, groups: string[][], args: string[] = []): string[][] {
  const cmds: string[] = [];
  groups.forEach((g, i) => cmds.push(...g, `get /gk-mark-${i}`));
  const r = augtool(root, cmds, args);
  expect(r.status, r.err).toBe(0);
  const out: string[][] = [];
  let cur: string[] = [];
  for (const l of r.out) {
    if (l === `/gk-mark-${out.length} (o)`) {
      out.push(cur);
      cur = [];
    } else cur.push(l);
  }
  expect(out).toHaveLength(groups.length);
  return out;
}

/** augtool prints lens locations with its -I dir; ours are in MEMFS. */
function sameLensDir(lines: string[]): string[] {
  return lines.map((l) => l.split(`${LENSES}/`).join(`${LENS_MEMFS_DIR}/`));
}

/** aug_print's value escaping (internal.c escape() with STR_ESCAPES). */
function printEscape(v: string): string {
  let s = '';
  for (const b of new TextEncoder().encode(v)) {
    const c = String.fromCharCode(b);
    const i = '\x07\b\t\n\v\f\r'.indexOf(c);
    if (i >= 0) s += '\\' + 'abtnvfr'[i];
    else if (c === '"' || c === '\\') s += '\\' + c;
    else if (b < 0x20 || b >= 0x7f) s += '\\' + b.toString(8).padStart(3, '0');
    else s += c;
  }
  return s;
}

/** The same lines augtool's `print PATH` writes. */
function printTree(aug: Augeas, path: string): string[] {
  const out: string[] = [];
  const rec = (p: string): void => {
    const v = aug.get(p);
    out.push(v === null ? p : `${p} = "${printEscape(v)}"`);
    for (const c of aug.match(`${p}/*`)) rec(c);
  };
  for (const p of aug.match(path)) rec(p);
  return out;
}

/** The same lines augtool's `match PATH` writes. */
function matchLines(aug: Augeas, path: string): string[] {
  const m = aug.match(path);
  if (m.length === 0) return ['  (no matches)'];
  return m.map((p) => `${p} = ${aug.get(p) ?? '(none)'}`);
}

async function ours(files: Record<string, string>, flags = 0): Promise<Augeas> {
  const aug = await loadAugeas();
  for (const [p, text] of Object.entries(files)) aug.putFile(p, text);
  aug.init('/', flags);
  return aug;
}

beforeAll(() => {
  if (!existsSync(join(augeasBuildDir(), 'augeas.wasm'))) {
    const r = spawnSync('bash', [join(augeasBuildDir(), '..', 'build.sh')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('wasm/augeas/build.sh failed');
  }
}, 600_000);

describe('augeas WASM', () => {
  it('loads all lenses with autoload (timing printed)', async () => {
    const aug = await loadAugeas();
    for (const [p, text] of Object.entries(FILES)) aug.putFile(p, text);
    let t = performance.now();
    aug.init('/', 0);
    const full = performance.now() - t;
    const modules = aug.match('/augeas/load/*').length;
    aug.close();
    t = performance.now();
    aug.init('/', AUG_NO_MODL_AUTOLOAD);
    const bare = performance.now() - t;
    console.log(`augeas aug_init: ${full.toFixed(0)} ms with autoload (${modules} modules), ` +
      `${bare.toFixed(0)} ms with AUG_NO_MODL_AUTOLOAD`);
    expect(modules).toBeGreaterThan(200);
    expect(aug.match('/files//*')).toEqual([]);
    aug.close();
  });

  itAugtool('parses the six files into the same tree as augtool', async () => {
    const aug = await ours(FILES);
    const root = hostRoot(FILES);
    const names = Object.keys(FILES);
    const ref = augtoolGroups(root, [...names.map((f) => [`print /files${f}`]), ['print /augeas//error'], ['match /augeas/files//path']]);
    names.forEach((f, i) => {
      expect(ref[i]!.length).toBeGreaterThan(5);
      expect(printTree(aug, `/files${f}`)).toEqual(ref[i]);
    });
    expect(aug.errorDetails()).toEqual([]);
    expect(ref[names.length]).toEqual([]);
    // the set of loaded files (the load order follows directory order: compare sorted)
    expect(matchLines(aug, '/augeas/files//path').sort()).toEqual(ref[names.length + 1]!.sort());
    aug.close();
  });

  itAugtool('match, get, ls, label agree with augtool', async () => {
    const aug = await ours(FILES);
    const root = hostRoot(FILES);
    const exprs = [
      '/files/etc/hosts/*/canonical',
      '/files/etc/hosts/*[ipaddr =~ regexp("ff02::.*")]/canonical',
      '/files/etc/passwd/*[shell = "/usr/sbin/nologin"]',
      '/files/etc/passwd/*/uid',
      '/files/etc/fstab/*[file = "/"]/opt',
      '/files/etc/fstab/*[vfstype = "swap"]/spec',
      '/files/etc/fstab/*/#comment',
      '/files/etc/ssh/sshd_config/*',
      '/files/etc/ssh/sshd_config/Match/Settings/*',
      '/files/etc/ssh/sshd_config/AcceptEnv/*',
      '/files/etc/sysconfig/network-scripts/ifcfg-eth0/*',
      '/files/etc/os-release/VERSION_ID',
      '/files/etc/nothing/here',
      '/files/etc/passwd/*[count(*) > 3][last()]',
    ];
    const refM = augtoolGroups(root, exprs.map((e) => [`match ${e}`]));
    exprs.forEach((e, i) => expect(matchLines(aug, e), e).toEqual(refM[i]));
    const gets = [
      '/files/etc/hosts/1/ipaddr',
      '/files/etc/passwd/alice/name',
      '/files/etc/ssh/sshd_config/Subsystem/sftp',
      '/files/etc/sysconfig/network-scripts/ifcfg-eth0/HWADDR',
      '/files/etc/os-release/PRETTY_NAME',
      '/files/etc/hosts/1',
    ];
    const refG = augtoolGroups(root, gets.map((g) => [`get ${g}`]));
    gets.forEach((g, i) => {
      const v = aug.get(g);
      expect([v === null ? `${g} (none)` : `${g} = ${v}`], g).toEqual(refG[i]);
    });
    // guestfs aug-ls = sorted match of PATH/*
    const lsPaths = ['/files/etc/passwd/root', '/files/etc/hosts', '/files/etc/ssh/sshd_config/Match', '/files/etc'];
    const refL = augtoolGroups(root, lsPaths.map((p) => [`match ${p}/*`]));
    lsPaths.forEach((p, i) => {
      expect(aug.ls(p), p).toEqual(refL[i]!.map((l) => l.replace(/ = .*$/, '')).sort());
    });
    expect(aug.label('/files/etc/passwd/*[uid = "1000"]')).toBe('alice');
    expect(() => aug.ls('/files/etc/')).toThrow(/ends with/);
    aug.close();
  });

  itAugtool('edits: set, rm, insert, mv, setm, defvar, defnode save the same bytes as augtool', async () => {
    const aug = await ours(FILES);
    const root = hostRoot(FILES);
    const script = [
      'set /files/etc/hosts/01/ipaddr 192.168.122.10',
      'set /files/etc/hosts/01/canonical gk.example.com',
      'set /files/etc/hosts/01/alias gk',
      'rm /files/etc/hosts/*[ipaddr = "ff02::2"]',
      'ins alias after /files/etc/hosts/1/canonical',
      'set /files/etc/hosts/1/alias localhost.localdomain',
      'rm /files/etc/passwd/games',
      'setm /files/etc/passwd/*[shell = "/usr/sbin/nologin"] shell /bin/false',
      'defvar u /files/etc/passwd/alice',
      'set $u/home /srv/alice',
      'defnode prl /files/etc/ssh/sshd_config/PermitRootLogin no',
      'set $prl no',
      'ins PasswordAuthentication before /files/etc/ssh/sshd_config/Match',
      'set /files/etc/ssh/sshd_config/PasswordAuthentication no',
      'defnode nm /files/etc/sysconfig/network-scripts/ifcfg-eth0/NETMASK 255.255.255.0',
      'set /files/etc/ssh/sshd_config/Port 2222',
      'set /files/etc/sysconfig/network-scripts/ifcfg-eth0/BOOTPROTO static',
      'set /files/etc/sysconfig/network-scripts/ifcfg-eth0/IPADDR 10.0.0.5',
      'mv /files/etc/fstab/3 /files/etc/fstab/9',
      'ins opt after /files/etc/fstab/1/opt[last()]',
      'set /files/etc/fstab/1/opt[last()] noatime',
      'rm /files/etc/os-release/VERSION_CODENAME',
      'save',
    ];
    const ref = augtool(root, script);
    expect(ref.status, `${ref.err}\n${ref.out.join('\n')}`).toBe(0);

    aug.set('/files/etc/hosts/01/ipaddr', '192.168.122.10');
    aug.set('/files/etc/hosts/01/canonical', 'gk.example.com');
    aug.set('/files/etc/hosts/01/alias', 'gk');
    const rmHosts = aug.rm('/files/etc/hosts/*[ipaddr = "ff02::2"]');
    aug.insert('/files/etc/hosts/1/canonical', 'alias', false);
    aug.set('/files/etc/hosts/1/alias', 'localhost.localdomain');
    const rmGames = aug.rm('/files/etc/passwd/games');
    expect(aug.setm('/files/etc/passwd/*[shell = "/usr/sbin/nologin"]', 'shell', '/bin/false')).toBe(3);
    expect(aug.defvar('u', '/files/etc/passwd/alice')).toBe(1);
    aug.set('$u/home', '/srv/alice');
    expect(aug.defnode('prl', '/files/etc/ssh/sshd_config/PermitRootLogin', 'no')).toEqual({ count: 1, created: false });
    aug.set('$prl', 'no');
    aug.insert('/files/etc/ssh/sshd_config/Match', 'PasswordAuthentication', true);
    aug.set('/files/etc/ssh/sshd_config/PasswordAuthentication', 'no');
    expect(aug.defnode('nm', '/files/etc/sysconfig/network-scripts/ifcfg-eth0/NETMASK', '255.255.255.0'))
      .toEqual({ count: 1, created: true });
    aug.set('/files/etc/ssh/sshd_config/Port', '2222');
    aug.set('/files/etc/sysconfig/network-scripts/ifcfg-eth0/BOOTPROTO', 'static');
    aug.set('/files/etc/sysconfig/network-scripts/ifcfg-eth0/IPADDR', '10.0.0.5');
    aug.mv('/files/etc/fstab/3', '/files/etc/fstab/9');
    aug.insert('/files/etc/fstab/1/opt[last()]', 'opt', false);
    aug.set('/files/etc/fstab/1/opt[last()]', 'noatime');
    const rmOs = aug.rm('/files/etc/os-release/VERSION_CODENAME');
    const saved = aug.save();

    // augtool prints "rm : PATH N" for each rm
    const rmCounts = ref.out.filter((l) => l.startsWith('rm : ')).map((l) => Number(l.split(' ').pop()));
    expect([rmHosts, rmGames, rmOs]).toEqual(rmCounts);
    expect(rmHosts).toBe(3);

    const changed = aug.changedFiles();
    expect(changed.map((c) => c.path)).toEqual(Object.keys(FILES).sort());
    expect(changed.every((c) => c.change === 'modified' && c.mode === 0o644)).toBe(true);
    expect([...saved].sort()).toEqual(Object.keys(FILES).sort());
    for (const f of Object.keys(FILES)) {
      const want = readFileSync(join(root, f), 'utf8');
      expect(new TextDecoder().decode(aug.getFile(f)), f).toEqual(want);
      expect(want).not.toEqual(FILES[f]);
    }
    expect(aug.listFiles()).toEqual(hostFiles(root));
    aug.markClean();
    expect(aug.changedFiles()).toEqual([]);
    aug.close();
  });

  itAugtool('AUG_SAVE_NEWFILE and AUG_SAVE_BACKUP write what augtool -n / -b write', async () => {
    for (const [flag, opt] of [[AUG_SAVE_NEWFILE, '-n'], [AUG_SAVE_BACKUP, '-b']] as const) {
      const files = { '/etc/hosts': FILES['/etc/hosts']!, '/etc/passwd': FILES['/etc/passwd']! };
      const aug = await ours(files, flag);
      const root = hostRoot(files);
      const ref = augtool(root, ['set /files/etc/hosts/2/canonical new.example.com', 'save'], [opt]);
      expect(ref.status, ref.err).toBe(0);
      aug.set('/files/etc/hosts/2/canonical', 'new.example.com');
      expect(aug.save()).toEqual(['/etc/hosts']);
      const hostNow = hostFiles(root);
      expect(aug.listFiles()).toEqual(hostNow);
      const changed = aug.changedFiles();
      const expected = hostNow
        .filter((f) => !(f in files) || readFileSync(join(root, f), 'utf8') !== files[f as keyof typeof files])
        .map((f) => ({ path: f, change: f in files ? 'modified' : 'created', mode: 0o644 }));
      expect(changed).toEqual(expected);
      expect(changed.length).toBeGreaterThan(0);
      for (const f of hostNow) {
        expect(new TextDecoder().decode(aug.getFile(f)), f).toEqual(readFileSync(join(root, f), 'utf8'));
      }
      aug.close();
    }
  });

  itAugtool('removing a whole file tree deletes the file, as augtool does', async () => {
    const files = { '/etc/hosts': FILES['/etc/hosts']!, '/etc/passwd': FILES['/etc/passwd']! };
    const aug = await ours(files);
    const root = hostRoot(files);
    const ref = augtool(root, ['rm /files/etc/passwd', 'save']);
    expect(ref.status, ref.err).toBe(0);
    expect(aug.rm('/files/etc/passwd')).toBe(Number(ref.out[0]!.split(' ').pop()));
    expect(aug.save()).toEqual(['/etc/passwd']);
    expect(aug.changedFiles()).toEqual([{ path: '/etc/passwd', change: 'removed' }]);
    expect(aug.listFiles()).toEqual(hostFiles(root));
    aug.close();
  });

  it('sees only what was put into MEMFS, never the host', async () => {
    const aug = await loadAugeas();
    aug.init('/', 0);
    expect(aug.match('/files//*')).toEqual([]);
    expect(aug.listFiles()).toEqual([]);
    expect(() => aug.getFile('/etc/passwd')).toThrow(/No such file/);
    aug.putFile('/etc/hosts', '10.0.0.1 a\n');
    aug.load();
    expect(aug.match('/files/etc/*')).toEqual(['/files/etc/hosts']);
    expect(aug.listFiles()).toEqual(['/etc/hosts']);
    aug.close();
  });

  it('AUG_SAVE_NOOP reports without writing', async () => {
    const aug = await ours({ '/etc/hosts': FILES['/etc/hosts']! }, AUG_SAVE_NOOP);
    aug.set('/files/etc/hosts/1/canonical', 'x');
    expect(aug.save()).toEqual(['/etc/hosts']);
    expect(aug.changedFiles()).toEqual([]);
    expect(aug.preview('/files/etc/hosts/1')).toMatch(/^127\.0\.0\.1\tx\n/);
    aug.close();
  });

  itAugtool('transform with AUG_NO_MODL_AUTOLOAD loads only that file, as augtool -A', async () => {
    const aug = await ours(FILES, AUG_NO_MODL_AUTOLOAD);
    const root = hostRoot(FILES);
    expect(aug.match('/files/etc/*')).toEqual([]);
    aug.transform('Hosts', '/etc/hosts');
    aug.transform('Passwd.lns', '/etc/passwd');
    aug.load();
    const cmds = ['transform Hosts incl /etc/hosts', 'transform Passwd.lns incl /etc/passwd', 'load'];
    expect(aug.match('/files/etc/*').sort()).toEqual(['/files/etc/hosts', '/files/etc/passwd']);
    for (const f of ['/files/etc/hosts', '/files/etc/passwd']) {
      expect(printTree(aug, f)).toEqual(augtool(root, [...cmds, `print ${f}`], ['-A']).out);
    }
    expect(printTree(aug, '/augeas/load')).toEqual(augtool(root, [...cmds, 'print /augeas/load'], ['-A']).out);
    // remove: exclude it again
    aug.transform('Hosts', '/etc/hosts', true);
    aug.load();
    expect(aug.match('/files/etc/*')).toEqual(['/files/etc/passwd']);
    aug.close();
  });

  itAugtool('clear leaves a node without a value, as augtool clear', async () => {
    const files = { '/etc/ssh/sshd_config': FILES['/etc/ssh/sshd_config']! };
    const aug = await ours(files);
    const root = hostRoot(files);
    const p = '/files/etc/ssh/sshd_config/Match/Condition/User';
    aug.clear(p);
    expect(aug.get(p)).toBeNull();
    const ref = augtool(root, [`clear ${p}`, `get ${p}`, 'print /files/etc/ssh/sshd_config/Match']);
    expect(ref.out[0]).toBe(`${p} (none)`);
    expect(printTree(aug, '/files/etc/ssh/sshd_config/Match')).toEqual(ref.out.slice(1));
    aug.close();
  });

  it('AUG_NO_LOAD then load()', async () => {
    const aug = await ours({ '/etc/hosts': FILES['/etc/hosts']! }, AUG_NO_LOAD);
    expect(aug.match('/files/etc/hosts')).toEqual([]);
    aug.load();
    expect(aug.get('/files/etc/hosts/1/canonical')).toBe('localhost');
    aug.close();
  });

  itAugtool('an unparseable file: /augeas//error details as augtool reports them', async () => {
    const files = {
      '/etc/fstab': '/dev/sda1 / ext4 defaults 0 1\nthis line is not fstab at all and has far too many words\n',
      '/etc/hosts': FILES['/etc/hosts']!,
    };
    const aug = await ours(files);
    const root = hostRoot(files);
    expect(aug.match('/files/etc/fstab')).toEqual([]);
    const det = aug.errorDetails();
    expect(det).toHaveLength(1);
    const e = det[0]!;
    expect(e.file).toBe('/etc/fstab');
    expect(e.error).toBe('parse_failed');
    expect(e.line).toBe(2);
    expect(e.lens).toMatch(new RegExp(`^${LENS_MEMFS_DIR}/fstab\\.aug:`));
    expect(e.summary).not.toContain('\n');
    expect(e.summary).toMatch(/^\/etc\/fstab: parse_failed: .+ at line 2, char \d+ \(lens \/usr\/share\/augeas\/lenses\/dist\/fstab\.aug:/);
    const ref = sameLensDir(augtool(root, ['print /augeas//error']).out);
    expect(printTree(aug, '/augeas//error')).toEqual(ref);
    expect(() => aug.checkErrors()).toThrow(AugeasError);
    try {
      aug.checkErrors();
    } catch (err) {
      expect((err as AugeasError).message).toBe(e.summary);
      expect((err as AugeasError).files).toEqual(det);
    }
    aug.close();
  });

  itAugtool('a failed save: one-line AugeasError with the put_failed details augtool shows', async () => {
    const files = { '/etc/hosts': FILES['/etc/hosts']! };
    const aug = await ours(files);
    const root = hostRoot(files);
    // a hosts entry without canonical cannot be written
    const ref = augtool(root, ['set /files/etc/hosts/01/ipaddr 10.1.1.1', 'save', 'print /augeas//error']);
    aug.set('/files/etc/hosts/01/ipaddr', '10.1.1.1');
    let err: unknown;
    try {
      aug.save();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AugeasError);
    const ae = err as AugeasError;
    expect(ae.message).not.toContain('\n');
    expect(ae.message).toMatch(/^aug_save failed: \/etc\/hosts: put_failed: Failed to match tree under \/files\/etc\/hosts\/01 /);
    expect(ae.files[0]?.error).toBe('put_failed');
    expect(printTree(aug, '/augeas//error')).toEqual(sameLensDir(ref.out));
    expect(aug.changedFiles()).toEqual([]);
    expect(new TextDecoder().decode(aug.getFile('/etc/hosts'))).toBe(files['/etc/hosts']);
    aug.close();
  });

  it('errors carry augeas codes, messages and details in one line', async () => {
    const aug = await ours({ '/etc/hosts': FILES['/etc/hosts']! });
    const catchErr = (fn: () => unknown): AugeasError => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(AugeasError);
        return e as AugeasError;
      }
      throw new Error('no error');
    };
    const many = catchErr(() => aug.get('/files/etc/hosts/*'));
    expect(many.augCodeName).toBe('AUG_EMMATCH');
    expect(many.message).toBe('/files/etc/hosts/*: Too many matches for path expression: There are 6 nodes matching /files/etc/hosts/*');
    const none = catchErr(() => aug.get('/files/etc/nothing'));
    expect(none.augCodeName).toBe('AUG_ENOMATCH');
    expect(none.message).toBe('/files/etc/nothing: no matching node');
    const bad = catchErr(() => aug.match('/files/etc/hosts/*[ipaddr = ]'));
    expect(bad.augCodeName).toBe('AUG_EPATHX');
    expect(bad.message).toMatch(/^\/files\/etc\/hosts\/\*\[ipaddr = \]: Invalid path expression: /);
    expect(bad.details).toBeDefined();
    const arg = catchErr(() => aug.transform('', '/etc/x'));
    expect(arg.augCodeName).toBe('AUG_EBADARG');
    expect(arg.message).toBe('Invalid argument in function call: aug_transform: LENS must not be empty');
    // an unknown lens fails at load time, under /augeas/load/NAME/error
    aug.transform('NoSuchLens', '/etc/x');
    aug.load();
    expect(aug.errorDetails().map((e) => [e.node, e.file, e.error])).toEqual([
      ['/augeas/load/NoSuchLens/error', '', 'Can not find lens NoSuchLens.lns'],
    ]);
    const desc = catchErr(() => aug.mv('/files/etc/hosts', '/files/etc/hosts/1/x'));
    expect(desc.augCodeName).toBe('AUG_EMVDESC');
    expect(() => aug.getFile('/etc/none')).toThrow(/No such file/);
    aug.close();
    expect(() => aug.get('/files')).toThrow(/no augeas handle is open/);
  });
});
