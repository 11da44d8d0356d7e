/**
 * guestkit copy against qemu-img: the copy is byte for byte what
 * `qemu-img convert -O raw` makes, holes stay holes, -O qcow2 passes
 * `qemu-img check` and `qemu-img compare`; NBD, stdin and stdout ends; and
 * failures (bad directory, source or peer failing mid-copy, ENOSPC, Ctrl-C)
 * leave nothing at the destination.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli.js';
import { buildQcow2Images, MiB, qemuImg, qemuIo, qemuRaw } from './helpers/qcow2-images.js';

let dir: string;
let images: Record<string, string>;
const servers: ChildProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-copy-test-'));
  images = buildQcow2Images(dir);
  // A bigger sparse image: data, a zeroed range, holes, and an odd size (not a whole cluster).
  images.sparse = path.join(dir, 'sparse.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', images.sparse, String(48 * MiB + 512));
  qemuIo(images.sparse, 'qcow2', 'write -P 0xab 1M 3M', 'write -P 0x11 40M 500k', 'write -z 2M 512k', 'write -P 0x5e 48M 512');
  // Formats guestkit reads through qemu-nbd.
  images.vmdk = path.join(dir, 'sparse.vmdk');
  qemuImg('convert', '-O', 'vmdk', images.sparse, images.vmdk);
});
afterAll(() => {
  for (const s of servers) s.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const p = (n: string) => path.join(dir, n);
const allocatedBytes = (f: string) => fs.statSync(f).blocks * 512;
/** Files left in `dir` whose names start with `prefix` (temp files included). */
const leftovers = (prefix: string) => fs.readdirSync(dir).filter((n) => n.startsWith(prefix));

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(file)) throw new Error(`${file} did not appear`);
}

async function copy(...args: string[]) {
  const r = await runCli(['copy', ...args]);
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  return r;
}

describe('guestkit copy', () => {
  for (const name of ['v2', 'v3zero', 'compressed', 'extL2', 'chainTop', 'sparse', 'vmdk']) {
    it(`${name}: raw copy equals qemu-img convert -O raw; -O qcow2 is clean and identical`, async () => {
      const ref = qemuRaw(images[name]!, p(`${name}.ref.raw`));
      await copy(images[name]!, p(`${name}.raw`));
      expect(fs.readFileSync(p(`${name}.raw`)).equals(fs.readFileSync(ref))).toBe(true);
      await copy('-O', 'qcow2', images[name]!, p(`${name}.out.qcow2`));
      expect(qemuImg('check', p(`${name}.out.qcow2`))).toContain('No errors were found on the image.');
      expect(qemuImg('compare', '-f', 'raw', '-F', 'qcow2', ref, p(`${name}.out.qcow2`))).toBe('Images are identical.\n');
    });
  }

  it('a sparse raw file to -O qcow2: data runs longer than a request, zero clusters inside data and holes left unallocated', async () => {
    const src = p('holey.raw');
    const fd = fs.openSync(src, 'w');
    // 3 MiB + 100 KiB of data from 1 MiB + 64 KiB (several requests, ends mid-cluster), a zeroed 256 KiB inside it.
    const data = crypto.randomBytes(3 * MiB + 100 * 1024);
    data.fill(0, MiB, MiB + 256 * 1024);
    fs.writeSync(fd, data, 0, data.length, MiB + 64 * 1024);
    fs.writeSync(fd, Buffer.alloc(4096, 0x77), 0, 4096, 20 * MiB);
    fs.ftruncateSync(fd, 37 * MiB + 1536);
    fs.closeSync(fd);
    await copy('-O', 'qcow2', src, p('holey.qcow2'));
    expect(qemuImg('check', p('holey.qcow2'))).toContain('No errors were found on the image.');
    expect(qemuImg('compare', '-f', 'raw', '-F', 'qcow2', src, p('holey.qcow2'))).toBe('Images are identical.\n');
    const map = JSON.parse(qemuImg('map', '--output=json', p('holey.qcow2'))) as Array<{ start: number; length: number; data: boolean }>;
    const dataBytes = map.filter((e) => e.data).reduce((n, e) => n + e.length, 0);
    // Whole clusters of the data, less the 4 zeroed ones, plus the one at 20 MiB.
    expect(dataBytes).toBe(Math.ceil(data.length / (64 * 1024)) * 64 * 1024 - 4 * 64 * 1024 + 64 * 1024);
    const info = JSON.parse(qemuImg('info', '--output=json', p('holey.qcow2'))) as { 'virtual-size': number; 'cluster-size': number; 'format-specific': { data: { compat: string; 'refcount-bits': number } } };
    expect([info['virtual-size'], info['cluster-size'], info['format-specific'].data.compat, info['format-specific'].data['refcount-bits']]).toEqual([37 * MiB + 1536, 65536, '1.1', 16]);
  });

  it('keeps holes: the raw copy allocates only the data; --allocated writes everything', async () => {
    await copy(images.sparse!, p('holes.raw'));
    // 3 MiB + 500 KiB + 512 B of data (the zeroed range and the holes are not written).
    expect(allocatedBytes(p('holes.raw'))).toBeLessThanOrEqual(3 * MiB + 512 * 1024 + 4096);
    const q = JSON.parse(qemuImg('info', '--output=json', p('sparse.out.qcow2'))) as { 'actual-size': number };
    expect(q['actual-size']).toBeLessThan(5 * MiB);
    await copy('--allocated', images.sparse!, p('dense.raw'));
    expect(allocatedBytes(p('dense.raw'))).toBeGreaterThanOrEqual(48 * MiB);
    expect(fs.readFileSync(p('dense.raw')).equals(fs.readFileSync(p('holes.raw')))).toBe(true);
    // --no-extents still finds the zero blocks by reading them.
    await copy('--no-extents', '--synchronous', images.sparse!, p('noext.raw'));
    expect(allocatedBytes(p('noext.raw'))).toBeLessThanOrEqual(3 * MiB + 512 * 1024 + 4096);
  });

  it('-S: zero runs inside data are found by reading (4 KiB by default), -S 0 writes all data read', async () => {
    const src = p('dense-with-zeroes.raw');
    const bytes = crypto.randomBytes(8 * MiB);
    bytes.fill(0, 2 * MiB, 5 * MiB + 4096);
    bytes.fill(0, 6 * MiB + 4096, 6 * MiB + 8192); // one 4 KiB page inside a request
    fs.writeFileSync(src, bytes);
    await copy(src, p('s-default.raw'));
    expect(fs.readFileSync(p('s-default.raw')).equals(bytes)).toBe(true);
    expect(allocatedBytes(p('s-default.raw'))).toBe(8 * MiB - 3 * MiB - 8192);
    await copy('-S', '0', src, p('s-zero.raw'));
    expect(allocatedBytes(p('s-zero.raw'))).toBe(8 * MiB);
    await copy('-S', '1M', '--request-size', '1M', src, p('s-1m.raw'));
    expect(allocatedBytes(p('s-1m.raw'))).toBe(8 * MiB - 3 * MiB);
    expect(fs.readFileSync(p('s-1m.raw')).equals(bytes)).toBe(true);
  });

  it('stdout and stdin: - is raw data', async () => {
    const ref = fs.readFileSync(p('sparse.ref.raw'));
    const out = await copy(images.sparse!, '-');
    expect(out.stdoutBytes.equals(ref)).toBe(true);
    execFileSync('sh', ['-c', `node "${CLI}" copy - "${p('from-stdin.raw')}" < "${p('sparse.ref.raw')}"`]);
    expect(fs.readFileSync(p('from-stdin.raw')).equals(ref)).toBe(true);
    expect(allocatedBytes(p('from-stdin.raw'))).toBeLessThanOrEqual(3 * MiB + 512 * 1024 + 4096);
  });

  it('to an NBD export (qemu-nbd): zero ranges are zeroed there', async () => {
    fs.writeFileSync(p('nbd-dst.raw'), Buffer.alloc(0));
    fs.truncateSync(p('nbd-dst.raw'), 48 * MiB + 512);
    fs.writeFileSync(p('nbd-dst.raw'), Buffer.alloc(4096, 0xee), { flag: 'r+' }); // must be zeroed by the copy
    const sock = p('dst.sock');
    servers.push(spawn('qemu-nbd', ['-f', 'raw', '-k', sock, p('nbd-dst.raw')], { stdio: 'ignore' }));
    await waitFor(sock);
    await copy('--flush', images.sparse!, `nbd+unix:///?socket=${sock}`);
    expect(fs.readFileSync(p('nbd-dst.raw')).equals(fs.readFileSync(p('sparse.ref.raw')))).toBe(true);
  });

  it('progress: --progress=FD writes N/100 lines, --json one object per step', async () => {
    const r = await runCli(['copy', '--progress=2', images.sparse!, p('prog.raw')]);
    expect(r.status).toBe(0);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe('0/100');
    expect(lines[lines.length - 1]).toBe('100/100');
    expect(lines.every((l) => /^\d+\/100$/.test(l))).toBe(true);
    const j = await runCli(['copy', '--json', images.sparse!, p('prog2.raw')]);
    const last = JSON.parse(j.err.trim().split('\n').pop()!);
    expect(last).toEqual({ done: 48 * MiB + 512, total: 48 * MiB + 512, percent: 100 });
    // null: reads everything and writes nothing.
    const nul = await runCli(['copy', '--progress=2', images.sparse!, 'null:']);
    expect([nul.status, nul.err.trim().split('\n').pop()]).toEqual([0, '100/100']);
    expect(leftovers('null')).toEqual([]);
    // -p on a pipe prints nothing.
    const quiet = await runCli(['copy', '-p', images.sparse!, p('prog3.raw')]);
    expect(quiet.err).toBe('');
  });
});

describe('guestkit copy: failures leave nothing behind', () => {
  async function fails(args: string[], message: RegExp, prefix: string) {
    const r = await runCli(['copy', ...args]);
    expect(r.status).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(leftovers(prefix)).toEqual([]);
  }

  it('a destination directory that does not exist, a destination that is a directory, a missing source', async () => {
    await fails([images.v2!, p('no-such-dir/x.raw')], /^guestkit copy: error: .*x\.raw: the directory .*no-such-dir does not exist$/m, 'no-such-dir');
    await fails([images.v2!, dir], /is a directory/, 'zzz');
    await fails([p('missing.qcow2'), p('fromMissing.raw')], /missing\.qcow2/, 'fromMissing');
  });

  it('a source that fails mid-copy (nbdkit error filter): exit 1, no DST, no temp file', async () => {
    const sock = p('err.sock');
    servers.push(spawn('nbdkit', ['-f', '-U', sock, '--filter=error', 'pattern', '64M', 'error-pread=EIO', 'error-pread-rate=10%'], { stdio: 'ignore' }));
    await waitFor(sock);
    await fails([`nbd+unix:///?socket=${sock}`, p('midfail.raw')], /read of \d+ bytes at offset \d+ failed: EIO/, 'midfail');
  });

  it('a source server that goes away mid-copy, and Ctrl-C: exit 1, no partial file', async () => {
    const sock = p('slow.sock');
    const slow = spawn('nbdkit', ['-f', '-U', sock, '--filter=delay', 'pattern', '64M', 'rdelay=50ms'], { stdio: 'ignore' });
    servers.push(slow);
    await waitFor(sock);
    const pending = runCli(['copy', `nbd+unix:///?socket=${sock}`, p('peerdied.raw')]);
    await new Promise((r) => setTimeout(r, 700));
    expect(leftovers('peerdied.raw.tmp-')).toHaveLength(1);
    slow.kill('SIGKILL');
    const r = await pending;
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^guestkit copy: error: nbd\+unix:.*(the server closed the connection|connection error)/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(leftovers('peerdied')).toEqual([]);

    const sock2 = p('slow2.sock');
    servers.push(spawn('nbdkit', ['-f', '-U', sock2, '--filter=delay', 'pattern', '64M', 'rdelay=50ms'], { stdio: 'ignore' }));
    await waitFor(sock2);
    const child = spawn(process.execPath, [CLI, 'copy', `nbd+unix:///?socket=${sock2}`, p('interrupted.raw')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(status).toBe(1);
    expect(err).toBe('guestkit copy: error: interrupted\n');
    expect(leftovers('interrupted')).toEqual([]);

    // Standard input that stalls: Ctrl-C still ends the copy at once.
    const stalled = spawn(process.execPath, [CLI, 'copy', '-', p('stalled.raw')], { stdio: ['pipe', 'ignore', 'pipe'] });
    stalled.stdin!.write(Buffer.alloc(100000, 1));
    await new Promise((r) => setTimeout(r, 700));
    expect(leftovers('stalled.raw.tmp-')).toHaveLength(1);
    stalled.kill('SIGINT');
    expect(await new Promise<number | null>((r) => stalled.on('close', (c) => r(c)))).toBe(1);
    expect(leftovers('stalled')).toEqual([]);
  });

  it('stdout on a full device, a bad --progress descriptor, an unknown -O: one line, exit 1', async () => {
    const full = spawn(process.execPath, [CLI, 'copy', images.sparse!, '-'], { stdio: ['ignore', fs.openSync('/dev/full', 'w'), 'pipe'] });
    let err = '';
    full.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise<number | null>((r) => full.on('close', (c) => r(c)))).toBe(1);
    expect(err).toBe('guestkit: error: writing the output: ENOSPC: no space left on device, write\n');
    await fails(['--progress=57', images.sparse!, p('badfd.raw')], /^guestkit copy: error: --progress=57: file descriptor 57 is not open$/m, 'badfd');
    const vmdk = await runCli(['copy', '-O', 'vmdk', images.sparse!, p('o.vmdk')]);
    expect([vmdk.status, vmdk.err]).toEqual([1, "error: option '-O, --output-format <format>' argument 'vmdk' is invalid. Allowed choices are raw, qcow2.\n"]);
  });

  it('a destination that is full (nbdkit full): ENOSPC in one line', async () => {
    const sock = p('full.sock');
    servers.push(spawn('nbdkit', ['-f', '-U', sock, 'full', '64M'], { stdio: 'ignore' }));
    await waitFor(sock);
    await fails([images.sparse!, `nbd+unix:///?socket=${sock}`], /ENOSPC/, 'zzz');
  });
});
