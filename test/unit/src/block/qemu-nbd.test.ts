import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestkitError, ImageError } from '../../../../src/errors/index.js';
import { liveQemuNbdCount, openWithQemuNbd, qemuNbdProblem } from '../../../../src/block/qemu-nbd.js';
import { patternedQcow2, qemuNbdFor } from '../../../helpers/qcow2-images.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcBlock = path.join(here, '../../../../src/block');
const MiB = 1024 * 1024;
let dir: string;
let tmp: string; // TMPDIR for qemu-nbd's private directories: must be empty after each test
const savedTmp = process.env.TMPDIR;

/** qemu-nbd's private directories in our TMPDIR (tsx puts its own there too). */
function ours(): string[] {
  return fs.readdirSync(tmp).filter((n) => n.startsWith('guestkit-nbd-'));
}

const makeQcow2 = (name: string) => patternedQcow2(path.join(dir, name));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-qnbd-test-'));
  tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('openWithQemuNbd', () => {
  it('serves a qcow2 read-write; close() stops qemu-nbd and removes its directory', async () => {
    const p = makeQcow2('rw.qcow2');
    const d = await openWithQemuNbd({ file: p, format: 'qcow2', readOnly: false });
    expect(ours()).toHaveLength(1);
    expect(fs.statSync(path.join(tmp, ours()[0]!)).mode & 0o777).toBe(0o700);
    expect(liveQemuNbdCount()).toBe(1);
    expect(d.name).toBe(p);
    expect(d.size).toBe(16 * MiB);
    expect(d.readOnly).toBe(false);
    expect((await d.read(0, 4))[3]).toBe(0x5a);
    await d.write(8 * MiB, new Uint8Array([1, 2, 3, 4]));
    await d.flush();
    await d.close();
    expect(liveQemuNbdCount()).toBe(0);
    expect(qemuNbdFor(p)).toBe('');
    expect(ours()).toEqual([]);
    const out = execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0x5a 0 1M', '-c', 'read -v 8M 4', p], { encoding: 'utf8' });
    expect(out).toMatch(/00800000:\s+01 02 03 04/);
    expect(out).not.toMatch(/Pattern verification failed/);
  });

  it('read-only serving uses -r', async () => {
    const p = makeQcow2('ro.qcow2');
    const d = await openWithQemuNbd({ file: p, format: 'qcow2', readOnly: true });
    expect(d.readOnly).toBe(true);
    expect(qemuNbdFor(p)).toMatch(/--read-only/);
    await expect(d.write(0, new Uint8Array(1))).rejects.toThrow(/read-only/);
    await d.close();
    expect(qemuNbdFor(p)).toBe('');
  });

  it('a truncated qcow2: one line naming the file, and no qemu-nbd left behind', async () => {
    const p = makeQcow2('cut.qcow2');
    execFileSync('truncate', ['-s', '50', p]);
    const e = await openWithQemuNbd({ file: p, format: 'qcow2', readOnly: true, name: 'cut.qcow2' }).catch((x) => x);
    expect(e).toBeInstanceOf(ImageError);
    expect(e.message).toBe('cut.qcow2: cannot open as qcow2: qcow2 header too short');
    expect(qemuNbdFor(p)).toBe('');
    expect(liveQemuNbdCount()).toBe(0);
    expect(ours()).toEqual([]);
  });

  it('the wrong format: one line naming the file', async () => {
    const p = makeQcow2('notvmdk.qcow2');
    const e = await openWithQemuNbd({ file: p, format: 'vdi', readOnly: true }).catch((x) => x);
    expect(e).toBeInstanceOf(ImageError);
    expect(e.message).toMatch(new RegExp(`^${p}: cannot open as vdi: `));
    expect(e.message).not.toContain('\n');
    expect(e.message).not.toContain('blk_new_open');
  });

  it('a missing qemu-nbd binary', async () => {
    const p = makeQcow2('nobin.qcow2');
    const e = await openWithQemuNbd({ file: p, format: 'qcow2', readOnly: true, binary: 'qemu-nbd-missing' }).catch((x) => x);
    expect(e).toBeInstanceOf(GuestkitError);
    expect(e.message).toBe('qemu-nbd-missing not found: install the Debian package qemu-utils');
    expect(ours()).toEqual([]);
    expect(liveQemuNbdCount()).toBe(0);
  });

  it('cleans up qemu-nbd stderr', () => {
    expect(
      qemuNbdProblem(
        "qemu-nbd: Failed to blk_new_open '/abs/d.qcow2': Failed to get shared \"write\" lock\nIs another process using the image [/abs/d.qcow2]?\n",
        '/abs/d.qcow2',
        'd.qcow2',
      ),
    ).toBe('Failed to get shared "write" lock (is another process using the image?)');
    expect(qemuNbdProblem('\n\n', '/a', 'a')).toBeNull();
  });

  describe('process-wide cleanup', () => {
    const script = (action: string) => `
      import { openWithQemuNbd } from ${JSON.stringify(path.join(srcBlock, 'qemu-nbd.js'))};
      const d = await openWithQemuNbd({ file: process.argv[2], format: 'qcow2', readOnly: true });
      console.log('ready');
      ${action}
    `;
    async function run(name: string, action: string, signal?: NodeJS.Signals) {
      const p = makeQcow2(`${name}.qcow2`);
      const js = path.join(dir, `${name}.mts`);
      fs.writeFileSync(js, script(action));
      const child = spawn(process.execPath, ['--import', 'tsx', js, p], { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.join(here, '../../../..') });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const ready = new Promise<void>((resolve) =>
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('ready')) resolve();
        }),
      );
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      await Promise.race([ready, exited]);
      expect(err).toBe('');
      expect(qemuNbdFor(p)).not.toBe('');
      if (signal) child.kill(signal);
      const res = await exited;
      // qemu-nbd got SIGTERM from the handler; give it a moment to go.
      for (let i = 0; i < 100 && qemuNbdFor(p) !== ''; i++) await new Promise((r) => setTimeout(r, 20));
      expect(qemuNbdFor(p)).toBe('');
      expect(ours()).toEqual([]);
      return res;
    }

    it('SIGTERM kills qemu-nbd, then the process dies of SIGTERM', async () => {
      const res = await run('sigterm', 'setInterval(() => {}, 1000);', 'SIGTERM');
      expect(res.signal).toBe('SIGTERM');
    }, 20_000);

    it('SIGINT likewise', async () => {
      const res = await run('sigint', 'setInterval(() => {}, 1000);', 'SIGINT');
      expect(res.signal).toBe('SIGINT');
    }, 20_000);

    it('process.exit() without close()', async () => {
      const res = await run('exit', 'setTimeout(() => process.exit(3), 300);');
      expect(res.code).toBe(3);
    }, 20_000);
  });
});
