/**
 * Errors keep their cause end to end: a host device's failure, served to the fs
 * worker through the block bridge, comes back to the command's caller with the
 * host error's code and the host error object itself in the cause chain.
 * NBD servers (qemu-nbd, nbdkit) are started here and killed in afterAll.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrnoError, GuestkitError, Guestfs, NbdError } from '../src/index.js';
import { causeChain } from '../src/errors/error-record.js';
import { copyFixture, scratch } from './helpers/fixtures.js';
import { haveQemu } from './helpers/backends.js';
import { GuestProgramError } from '../src/backend/appliance/guest-errors.js';

let tmp: ReturnType<typeof scratch>;
const servers: ChildProcess[] = [];

/** A 16 MiB ext4 image holding /small and a 3 MB /big (not read before the failure). */
function makeImage(name: string): string {
  const src = join(tmp.dir, 'src');
  if (!existsSync(src)) {
    mkdirSync(src);
    writeFileSync(join(src, 'small'), 'hi\n');
    writeFileSync(join(src, 'big'), Buffer.alloc(3_000_000, 7));
  }
  const img = join(tmp.dir, name);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', src, img, '16M']);
  return img;
}

async function serve(cmd: string, args: string[], sock: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  servers.push(child);
  for (let i = 0; i < 500 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  return child;
}

async function failure(p: Promise<unknown>): Promise<GuestkitError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(GuestkitError);
  return e as GuestkitError;
}

beforeAll(() => {
  tmp = scratch();
});
afterAll(() => {
  for (const s of servers) s.kill('SIGKILL');
  tmp.cleanup();
});

describe('host device errors through the wasm backend', () => {
  it('a read from an NBD drive whose server was killed: the command error carries the NbdError', async () => {
    const sock = join(tmp.dir, 'killed.sock');
    const srv = await serve('qemu-nbd', ['-r', '-f', 'raw', '-k', sock, makeImage('killed.img')], sock);
    const g = new Guestfs({ backend: 'wasm' });
    try {
      g.addDrive(`nbd+unix:///?socket=${sock}`, { readonly: true });
      await g.launch();
      await g.mountRo('/dev/sda', '/');
      expect(await g.cat('/small')).toBe('hi\n');
      srv.kill('SIGKILL');
      await new Promise((r) => srv.once('exit', r));
      const e = await failure(g.readFile('/big'));
      expect(e.code).toBe('ENBD');
      expect(e.command).toBe('read-file');
      expect(e.message).toMatch(/^\/big: .*the server closed the connection/);
      const nbd = causeChain(e).find((c) => c instanceof NbdError) as NbdError | undefined;
      expect(nbd).toBeDefined();
      expect(nbd!.disk).toBe(`nbd+unix:///?socket=${sock}`);
    } finally {
      await g.close().catch(() => undefined);
    }
  });

  it('ENOSPC from the host (an NBD server out of space) stays ENOSPC, the server error in the chain', async () => {
    const sock = join(tmp.dir, 'enospc.sock');
    await serve('nbdkit', ['-f', '-U', sock, '--filter=error', 'file', makeImage('enospc.img'), 'error=ENOSPC', 'error-pwrite-rate=100%'], sock);
    const g = new Guestfs({ backend: 'wasm' });
    try {
      g.addDrive(`nbd+unix:///?socket=${sock}`);
      await g.launch();
      await g.mount('/dev/sda', '/');
      const e = await failure(g.write('/new', new Uint8Array(3_000_000).fill(1)));
      expect(e.code).toBe('ENOSPC');
      expect(e.message).toBe('/new: No space left on device');
      const served = causeChain(e).find((c) => c instanceof ErrnoError && /write of \d+ bytes at offset \d+ failed: ENOSPC/.test(c.message));
      expect(served).toBeDefined();
    } finally {
      await g.close().catch(() => undefined);
    }
  });

  it('ENOSPC from a full image file is ENOSPC, with the library\'s words in the cause', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    try {
      g.addDrive(makeImage('full.img'), { format: 'raw' });
      await g.launch();
      await g.mount('/dev/sda', '/');
      const e = await failure(g.write('/huge', new Uint8Array(20 << 20)));
      expect(e.code).toBe('ENOSPC');
      expect(e.command).toBe('write');
      expect((e.cause as GuestkitError).code).toBe('ENOSPC');
    } finally {
      await g.close();
    }
  });

  it('writing to a read-only NBD export is EROFS, not EIO', async () => {
    const sock = join(tmp.dir, 'ro.sock');
    await serve('nbdkit', ['-f', '-r', '-U', sock, 'file', makeImage('ro.img')], sock);
    const g = new Guestfs({ backend: 'wasm' });
    try {
      g.addDrive(`nbd+unix:///?socket=${sock}`);
      await g.launch();
      const mount = await failure(g.mount('/dev/sda', '/'));
      expect(mount.code).toBe('EROFS');
      expect(mount.cause).toBeInstanceOf(GuestkitError);
      const pwrite = await failure(g.pwriteDevice('/dev/sda', new Uint8Array(512), 0));
      expect(pwrite.code).toBe('EROFS');
    } finally {
      await g.close().catch(() => undefined);
    }
  });
});

describe.skipIf(!haveQemu)('guest program errors through the appliance agent', () => {
  it('the errno a program printed, and the program with its exit status as the cause; the agent\'s own checks state theirs', async () => {
    const g = new Guestfs({ backend: 'appliance' });
    try {
      g.addDrive(copyFixture('ext4.img', tmp.dir), { format: 'raw' });
      await g.launch();
      await g.mount('/dev/sda', '/');
      const rmdir = await failure(g.rmdir('/etc/hostname'));
      expect([rmdir.code, rmdir.command]).toEqual(['ENOTDIR', 'rmdir']);
      expect(rmdir.cause).toBeInstanceOf(GuestProgramError);
      expect(rmdir.cause).toMatchObject({ program: 'rmdir', exitStatus: 1 });
      const mkdir = await failure(g.mkdir('/no/such/dir'));
      expect(mkdir.code).toBe('ENOENT');
      expect(mkdir.cause).toBeUndefined(); // stated by the script's own check (die), no program failed
    } finally {
      await g.close().catch(() => undefined);
    }
  }, 180_000);
});
