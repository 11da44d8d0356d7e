/**
 * customize --run / --run-command: commands run inside the guest's root in the
 * appliance (chosen automatically), the file operations around them in
 * process, all on qcow2 overlays committed at the end. The guest is built
 * here with a static busybox as its /bin/sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { e2fsck, scratch, sha256 } from './helpers/fixtures.js';
import { makeLinuxGuest, staticBusybox } from './helpers/customize-guest.js';
import { debugfs } from './helpers/customize-lib.js';

const haveQemu = (() => {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const busybox = staticBusybox();

describe.skipIf(!haveQemu || !busybox)('customize --run/--run-command (appliance)', () => {
  let dir: string, cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = scratch()));
  afterAll(() => cleanup());

  const customize = (args: string[]) => runCli(['customize', ...args], { timeoutMs: 300_000, env: { GUESTKIT_BACKEND: 'auto' } });

  it('runs commands as root inside the guest, in order with the other operations; the result is committed', async () => {
    const img = makeLinuxGuest(dir, { busybox, name: 'runs' });
    const script = join(dir, 'script.sh');
    writeFileSync(script, 'echo "script saw $(cat /etc/hostname)" > /root/script-out\n');
    const r = await customize(['-a', img, '--hostname', 'app1', '--run-command', 'echo ran > /root/ran; id -u >> /root/ran', '--run', script, '--write', '/etc/after:1']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(debugfs(img, 'cat /root/ran')).toBe('ran\n0\n');
    expect(debugfs(img, 'cat /root/script-out')).toBe('script saw app1\n');
    expect(debugfs(img, 'cat /etc/after')).toBe('1');
    expect(e2fsck(img).status).toBe(0);
  }, 300_000);

  it('a command that exits non-zero stops the run: one error line naming it, image unchanged', async () => {
    const img = makeLinuxGuest(dir, { busybox, name: 'fails' });
    const sum = sha256(img);
    const r = await customize(['-a', img, '--write', '/etc/before:1', '--run-command', 'echo oops; false', '--write', '/etc/after:1']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/guestkit customize: error: --run-command echo oops; false: command exited with an error\n$/);
    expect(r.err).toMatch(/^oops\n/); // the command's output (its log) comes first, as virt-customize shows it
    expect(sha256(img)).toBe(sum);
  }, 300_000);

  it('--backend=appliance for everything: inspection and operations in the appliance, qcow2 overlay committed; a failure changes nothing', async () => {
    const img = makeLinuxGuest(dir, { busybox, name: 'appliance-only' });
    const sum = sha256(img);
    const bad = await runCli(['customize', '--backend', 'appliance', '-a', img, '--write', '/etc/x:1', '--edit', '/etc/missing:s/a/b/'], { timeoutMs: 300_000 });
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/--edit \/etc\/missing: \/etc\/missing does not exist in the guest/);
    expect(sha256(img)).toBe(sum);
    const ok = await runCli(['customize', '--backend', 'appliance', '-a', img, '--write', '/etc/x:1', '--hostname', 'viaappliance'], { timeoutMs: 300_000 });
    expect(ok.err).toBe('');
    expect(ok.status).toBe(0);
    expect(debugfs(img, 'cat /etc/x')).toBe('1');
    expect(debugfs(img, 'cat /etc/hostname')).toBe('viaappliance\n');
    expect(e2fsck(img).status).toBe(0);
  }, 600_000);

  it('--backend=wasm refuses commands before changing anything', async () => {
    const img = makeLinuxGuest(dir, { busybox, name: 'wasm' });
    const sum = sha256(img);
    const r = await runCli(['customize', '--backend', 'wasm', '-a', img, '--write', '/etc/x:1', '--run-command', 'true'], { timeoutMs: 60_000 });
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/--run-command: running commands in the guest is not supported by the wasm backend: use --backend=appliance/);
    expect(sha256(img)).toBe(sum);
  });
});
