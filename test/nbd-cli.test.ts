/** The tools on NBD URIs: an image served by qemu-nbd (unix socket) and by nbdkit (TCP). */
import { spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { fixture, scratch, sha256 } from './helpers/fixtures.js';

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not come up');
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('tools on NBD URIs', () => {
  let tmp: ReturnType<typeof scratch>;
  const servers: ChildProcess[] = [];
  beforeAll(() => { tmp = scratch(); });
  afterAll(() => {
    for (const s of servers) s.kill('SIGKILL');
    tmp.cleanup();
  });

  it('cat and ls through qemu-nbd on a unix socket, image unchanged', async () => {
    const sock = join(tmp.dir, 'q.sock');
    const before = sha256(fixture('gpt.img'));
    servers.push(spawn('qemu-nbd', ['-r', '--persistent', '-f', 'raw', '-k', sock, fixture('gpt.img')], { stdio: 'ignore' }));
    await waitFor(() => access(sock).then(() => true, () => false));
    const uri = `nbd+unix:///?socket=${sock}`;
    const cat = await runCli(['cat', '-a', uri, '-m', '/dev/sda2', '/etc/hostname']);
    expect(cat.err).toBe('');
    expect(cat.out).toBe('debian-guest\n');
    const ls = await runCli(['ls', '-a', uri, '-m', '/dev/sda2', '/etc']);
    expect(ls.out).toBe('debian_version\nhostname\nos-release\npasswd\nshadow\n');
    expect(sha256(fixture('gpt.img'))).toBe(before);
  });

  it('df through nbdkit over TCP names the guest after the URI', async () => {
    const port = await freePort();
    servers.push(spawn('nbdkit', ['-f', '-r', '--exit-with-parent', '-i', '127.0.0.1', '-p', String(port), 'file', fixture('ext4.img')], { stdio: 'ignore' }));
    const uri = `nbd://127.0.0.1:${port}/`;
    await waitFor(async () => (await runCli(['df', '-a', uri])).status === 0);
    const df = await runCli(['df', '-a', uri]);
    expect(df.out.split('\n')[1]).toMatch(/^nbd:\/\/127\.0\.0\.1:\d+\/:\/dev\/sda\s+25844\s+2671\s+20880\s+11%$/);
  });
});
