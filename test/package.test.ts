/**
 * What `npm pack` ships: the bundled CLI (package.json's bin and the files it
 * loads), the library (dist/src), the WebAssembly builds and what the appliance
 * is built from; no sources, tests or fixtures. The packed CLI, unpacked on its
 * own, reads a file from a guest image: the bundle finds its worker and the
 * .wasm files inside the package it came in, and V8 takes its code cache.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ROOT, scratch } from './helpers/fixtures.js';
import { writeManPages } from '../scripts/man-pages.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: { guestkit: string }; main: string };

describe('npm pack', () => {
  const tmp = scratch();
  let files: string[] = [];
  let unpacked = '';

  beforeAll(async () => {
    // dist/ is built already (npm test builds first); prepack would build it again, man pages included.
    await writeManPages();
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    execFileSync('tar', ['-xzf', join(tmp.dir, info!.filename), '-C', tmp.dir]);
    unpacked = join(tmp.dir, 'package');
    // The dependencies, as an install would put them.
    symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'node_modules'));
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('ships the bundled CLI, the library and the WebAssembly builds', () => {
    const bundle = files.filter((f) => f.startsWith('dist/bundle/')).map((f) => f.replace(/^(dist\/bundle\/[\w.-]+\.)[0-9a-f]{16}(\.v8cache)$/, '$1HASH$2'));
    expect(bundle.sort()).toEqual([
      'dist/bundle/cli.HASH.v8cache',
      'dist/bundle/cli.cjs',
      'dist/bundle/fish-client.cjs',
      'dist/bundle/fs-worker.cjs',
      'dist/bundle/guestkit.cjs',
      'dist/bundle/image-tools.cjs',
      'dist/bundle/image-tools.copy.HASH.v8cache',
      'dist/bundle/image-tools.info.HASH.v8cache',
      'dist/bundle/image-tools.serve.HASH.v8cache',
      'dist/bundle/worker-boot.cjs',
      'dist/bundle/worker.HASH.v8cache',
      'dist/bundle/worker.cjs',
    ]);
    expect(files).toContain(pkg.bin.guestkit);
    expect(files).toContain(pkg.main);
    for (const name of ['ext2fs', 'ntfs', 'augeas']) {
      expect(files).toContain(`wasm/${name}/build/${name}.cjs`);
      expect(files).toContain(`wasm/${name}/build/${name}.wasm`);
    }
    expect(files).toContain('wasm/zstd/build/zstd.wasm');
    expect(files).toContain('wasm/augeas/build/lenses/fstab.aug');
    expect(files).toContain('appliance/init');
    expect(files).toContain('man/guestkit.1');
    expect(files).toContain('man/guestkit-fish.1');
  });

  it('ships no sources, tests, fixtures or wasm build intermediates', () => {
    const stray = files.filter((f) => /^(src|tools|test|fixtures|bench|scripts)\//.test(f) || /^wasm\/[^/]+\/build\/(obj|gen)\//.test(f) || f.startsWith('dist/tools/'));
    expect(stray).toEqual([]);
  });

  it('the packed CLI prints its version and reads a guest file', () => {
    const bin = join(unpacked, pkg.bin.guestkit);
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toBe(`${pkg.version}\n`);
    const r = spawnSync(process.execPath, [bin, 'cat', '-a', fixture('ext4.img'), '-m', '/dev/sda', '/etc/hostname'], {
      encoding: 'utf8',
      cwd: tmp.dir,
      env: { ...process.env, GUESTKIT_TIMING: '1' },
    });
    expect(r.stdout).toBe('guestkit-test\n');
    expect(r.status).toBe(0);
    // Both bundles compile from the V8 code caches shipped beside them.
    expect(r.stderr).toContain('cli bundle compiled (code cache used)');
    expect(r.stderr).toContain('fs worker bundle compiled (code cache used)');
  });

  it('the packed CLI runs info from the lean bundle it ships, with its code cache', () => {
    const r = spawnSync(process.execPath, [join(unpacked, pkg.bin.guestkit), 'info', fixture('ext4.img')], {
      encoding: 'utf8',
      cwd: tmp.dir,
      env: { ...process.env, GUESTKIT_TIMING: '1' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('file format: raw\n');
    expect(r.stdout).toContain('    /dev/sda: ext4\n');
    expect(r.stderr).toContain('image tools bundle compiled (code cache used)');
    expect(r.stderr).not.toContain('cli bundle');
  });

  it('the packed CLI decodes zstd-compressed btrfs extents with the zstd.wasm it ships', () => {
    const bin = join(unpacked, pkg.bin.guestkit);
    const cat = (path: string) =>
      execFileSync(process.execPath, [bin, 'cat', '-a', fixture('btrfs.img'), '-m', '/dev/sda', path], { cwd: tmp.dir, maxBuffer: 1 << 24 });
    const zstd = cat('/compressed/zstd.txt');
    expect(zstd.length).toBe(300_000);
    expect(zstd).toEqual(cat('/compressed/zlib.txt'));
  });

  it("the packed CLI's fish --listen and --remote run from the light client it ships", () => {
    const bin = join(unpacked, pkg.bin.guestkit);
    const env = { ...process.env, XDG_RUNTIME_DIR: tmp.dir, GUESTKIT_BACKEND: 'wasm' };
    const fish = (args: string[]) => spawnSync(process.execPath, [bin, 'fish', ...args], { encoding: 'utf8', cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const listen = spawnSync(process.execPath, [bin, 'fish', '--listen', '--ro', '-a', fixture('ext4.img'), '-m', '/dev/sda'], { encoding: 'utf8', cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = /^GUESTFISH_PID=(\d+); export GUESTFISH_PID\n$/.exec(listen.stdout)?.[1];
    expect(pid).toBeDefined();
    try {
      expect(fish([`--remote=${pid}`, 'cat', '/etc/hostname'])).toMatchObject({ status: 0, stdout: 'guestkit-test\n\n', stderr: '' });
    } finally {
      expect(fish([`--remote=${pid}`, 'exit']).status).toBe(0);
    }
  });
  it('the packed bin starts Node without the extra CA bundle and hands the variable on to what it starts', () => {
    // Run as npm's bin link runs it (exec'd, its #! line), with nothing but node on PATH.
    const onlyNode = join(tmp.dir, 'only-node');
    mkdirSync(onlyNode);
    symlinkSync(process.execPath, join(onlyNode, 'node'));
    const link = join(onlyNode, 'guestkit');
    symlinkSync(join(unpacked, pkg.bin.guestkit), link);
    // A missing file: Node warns at start-up when it tries to load it.
    const env = { PATH: onlyNode, NODE_EXTRA_CA_CERTS: join(tmp.dir, 'no-such-ca.pem'), XDG_RUNTIME_DIR: tmp.dir, GUESTKIT_BACKEND: 'wasm' };
    const direct = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env });
    expect(direct.stderr).toContain('Ignoring extra certs');
    const fish = spawnSync(link, ['fish'], { encoding: 'utf8', cwd: tmp.dir, env, input: '!echo "child: $NODE_EXTRA_CA_CERTS kept: ${GUESTKIT_NODE_EXTRA_CA_CERTS-none}"\n' });
    expect(fish).toMatchObject({ status: 0, stderr: '', stdout: `child: ${env.NODE_EXTRA_CA_CERTS} kept: none\n` });
    // --listen's background process is started by Node itself, with the same hand-over.
    const errFile = join(tmp.dir, 'listen.err');
    const errFd = openSync(errFile, 'w');
    const listen = spawnSync(link, ['fish', '--listen', '--ro', '-a', fixture('ext4.img'), '-m', '/dev/sda'], { encoding: 'utf8', cwd: tmp.dir, env, stdio: ['ignore', 'pipe', errFd] });
    closeSync(errFd);
    const pid = /^GUESTFISH_PID=(\d+); export GUESTFISH_PID\n$/.exec(listen.stdout)?.[1];
    expect(pid).toBeDefined();
    const remote = (args: string[]) => spawnSync(link, ['fish', `--remote=${pid}`, ...args], { encoding: 'utf8', cwd: tmp.dir, env });
    expect(remote(['cat', '/etc/hostname'])).toMatchObject({ status: 0, stdout: 'guestkit-test\n\n', stderr: '' });
    expect(remote(['exit']).status).toBe(0);
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });
});
