/**
 * guestkit appliance build / check, run as a user would, with a private cache
 * (--cache-dir) and TMPDIR so that what they leave is easy to see.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli.js';
import { scratch } from './helpers/fixtures.js';

const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const haveScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!haveQemu)('guestkit appliance', () => {
  let tmp: ReturnType<typeof scratch>;
  let cache: string;
  let tmpdir: string;
  beforeAll(() => {
    tmp = scratch();
    cache = path.join(tmp.dir, 'cache');
    tmpdir = path.join(tmp.dir, 'tmp');
    fs.mkdirSync(tmpdir);
  });
  afterAll(() => tmp.cleanup());

  it('build, piped: one result line, no progress, and a complete appliance in the cache', async () => {
    const r = await runCli(['appliance', 'build', '--cache-dir', cache], { timeoutMs: 300_000, env: { TMPDIR: tmpdir } });
    expect(r.status, r.err).toBe(0);
    expect(r.err).toBe('');
    const m = /^built (\S+) \(kernel \S+, initrd \d+\.\d MiB(, tools image \d+\.\d MiB)?\) in \d+\.\d s\n/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const dir = m![1]!;
    expect(path.dirname(dir)).toBe(cache);
    for (const f of ['vmlinux', 'initrd.cpio', 'done', 'manifest.txt']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    // Forced: built again (same inputs, same place), not taken from the cache.
    const again = await runCli(['appliance', 'build', '--cache-dir', cache], { timeoutMs: 300_000, env: { TMPDIR: tmpdir } });
    expect(again.status, again.err).toBe(0);
    expect(again.out.startsWith(`built ${dir} `)).toBe(true);
    expect(fs.readdirSync(cache).filter((n) => n.startsWith('.build-'))).toEqual([]);
  }, 600_000);

  it.skipIf(!haveScript)('build on a terminal: a progress line, erased at the end', () => {
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI} appliance build --cache-dir ${cache}`, '/dev/null'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[Kbuilding the appliance: writing the initramfs \d+\/\d+ \(100%\)/);
    expect(r.stdout).toMatch(/\r\x1b\[Kbuilt /);
  }, 300_000);

  it('check: what it found, then a test VM that answers; nothing left behind', async () => {
    const r = await runCli(['appliance', 'check', '--cache-dir', cache], { timeoutMs: 180_000, env: { TMPDIR: tmpdir } });
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/^qemu: \/\S+qemu-system-x86_64 \(QEMU emulator version /m);
    expect(r.out).toMatch(/^qemu-nbd: \/\S+qemu-nbd /m);
    expect(r.out).toMatch(/^accelerator: (KVM|TCG \(.+\))/m);
    expect(r.out).toMatch(/^kernel: \/boot\/vmlinuz-\S+ \(\S+\)$/m);
    expect(r.out).toMatch(/^ {2}at boot: .*virtio_mmio/m);
    // virtio_blk loads after a saved VM state is restored, once the session's drives are attached
    expect(r.out).toMatch(/^ {2}on demand: virtio_blk /m);
    expect(r.out).toMatch(/^busybox: \S+ \((static|dynamic.*)\)$/m);
    expect(r.out).toContain(`cache: ${cache}\n`);
    expect(r.out).toMatch(/^test VM: ready in \d+\.\d\d s \((KVM|TCG)\), guest kernel \S+$/m);
    expect(r.out).toContain('test VM: /dev/sda is 16777216 bytes (expected 16777216)\n');
    expect(r.out.endsWith('===== TEST FINISHED OK =====\n')).toBe(true);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
  }, 200_000);

  it('check without qemu: says so with the package, one error line, exit 1', async () => {
    const bin = path.join(tmp.dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(spawnSync('sh', ['-c', 'command -v qemu-nbd'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'qemu-nbd'));
    const r = await runCli(['appliance', 'check', '--cache-dir', cache], { env: { PATH: bin, TMPDIR: tmpdir } });
    expect(r.status).toBe(1);
    expect(r.out).toContain('qemu: not found (Debian package qemu-system-x86)\n');
    expect(r.err).toBe('guestkit appliance: error: qemu-system-x86_64 not found: install the Debian package qemu-system-x86\n');
  });
});
