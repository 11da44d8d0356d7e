/**
 * guestkit serve against Debian's NBD clients: nbdinfo (export facts, --map
 * equal to qemu-nbd's for the same image, --list), nbdcopy and qemu-img
 * reading it byte for byte as qemu-img does, our own client (simple and
 * structured replies); --run captive mode; read-only by default, --rw in a
 * throw-away overlay, --in-place; one-line errors.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdDevice } from '../src/block/nbd/client.js';
import { CLI, runCli } from './helpers/cli.js';
import { MiB, qemuImg, qemuIo, qemuRaw } from './helpers/qcow2-images.js';

let dir: string;
let image: string;
let ref: Buffer;
const children: ChildProcess[] = [];
const p = (n: string) => path.join(dir, n);
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-serve-test-'));
  image = p('s.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', image, String(40 * MiB));
  qemuIo(image, 'qcow2', 'write -P 0xab 1M 3M', 'write -P 0x11 20M 500k', 'write -z 30M 1M', 'write -P 0x5e 39M 4k');
  ref = fs.readFileSync(qemuRaw(image, p('ref.raw')));
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `guestkit serve ARGS` and waits for its unix socket. */
async function serveOn(sock: string, ...args: string[]): Promise<ChildProcess> {
  const c = spawn(process.execPath, [CLI, 'serve', '-k', sock, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(c);
  for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  expect(fs.existsSync(sock)).toBe(true);
  return c;
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.on('exit', (code) => r(code))));

describe('guestkit serve', () => {
  it('nbdinfo, nbdinfo --map (as qemu-nbd serves it), nbdcopy, qemu-img and our client read the image as qemu does', async () => {
    const sock = p('a.sock');
    const server = await serveOn(sock, '-t', '-e', '4', image);
    const uri = `nbd+unix:///?socket=${sock}`;
    const info = JSON.parse(sh(`nbdinfo --json '${uri}'`)) as { protocol: string; exports: Array<Record<string, unknown>> };
    expect(info.protocol).toBe('newstyle-fixed');
    expect(info.exports[0]).toMatchObject({ 'export-name': '', 'export-size': 40 * MiB, is_read_only: true, can_multi_conn: true, contexts: ['base:allocation'] });

    const qsock = p('q.sock');
    const qemuNbd = spawn('qemu-nbd', ['-r', '-k', qsock, image], { stdio: 'ignore' });
    children.push(qemuNbd);
    for (let i = 0; i < 100 && !fs.existsSync(qsock); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sh(`nbdinfo --map '${uri}'`)).toBe(sh(`nbdinfo --map 'nbd+unix:///?socket=${qsock}'`));

    sh(`nbdcopy '${uri}' '${p('nbdcopy.raw')}'`);
    expect(fs.readFileSync(p('nbdcopy.raw')).equals(ref)).toBe(true);
    expect(sh(`qemu-img info '${uri}'`)).toContain(`virtual size: 40 MiB (${40 * MiB} bytes)`);
    sh(`qemu-img convert -O raw '${uri}' '${p('qemu-img.raw')}'`);
    expect(fs.readFileSync(p('qemu-img.raw')).equals(ref)).toBe(true);

    for (const structuredReplies of [true, false]) {
      const dev = await NbdDevice.connect(uri, { structuredReplies });
      expect(dev.info.structuredReplies).toBe(structuredReplies);
      expect(Buffer.from(await dev.read(0, dev.size)).equals(ref)).toBe(true);
      expect(Buffer.from(await dev.read(1 * MiB - 7, 20)).equals(ref.subarray(1 * MiB - 7, 1 * MiB + 13))).toBe(true);
      await expect(dev.read(40 * MiB - 4, 8)).rejects.toThrow(/beyond the end/);
      await dev.close();
    }
    server.kill('SIGTERM');
    expect(await exited(server)).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);
  });

  it('-e 1: a second client waits until the first leaves; a wrong export name is refused as qemu-nbd does', async () => {
    const sock = p('e1.sock');
    const server = await serveOn(sock, '-t', '-x', 'disk', image);
    const uri = `nbd+unix:///disk?socket=${sock}`;
    const first = await NbdDevice.connect(uri);
    expect(first.canMultiConn).toBe(false);
    let secondReady = false;
    const second = NbdDevice.connect(uri).then((d) => ((secondReady = true), d));
    await new Promise((r) => setTimeout(r, 300));
    expect(secondReady).toBe(false);
    await first.close();
    const dev = await second;
    // Block status as the map: data, hole, data, hole (the zeroed range included), data, hole.
    expect((await dev.extents(0, dev.size)).map((e) => [e.offset, e.length, e.hole])).toEqual([
      [0, 1 * MiB, true],
      [1 * MiB, 3 * MiB, false],
      [4 * MiB, 16 * MiB, true],
      [20 * MiB, 512 * 1024, false],
      [20 * MiB + 512 * 1024, 39 * MiB - 20 * MiB - 512 * 1024, true],
      [39 * MiB, 64 * 1024, false],
      [39 * MiB + 64 * 1024, 1 * MiB - 64 * 1024, true],
    ]);
    await dev.close();
    const wrong = await NbdDevice.connect(`nbd+unix:///other?socket=${sock}`).catch((e: Error) => e);
    expect(String(wrong)).toMatch(/export 'other': unknown export \(export 'other' not present\)/);
    server.kill('SIGINT');
    expect(await exited(server)).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);
  });

  it('a client speaking garbage, or leaving mid-handshake, loses only its own connection', async () => {
    const sock = p('garbage.sock');
    const server = await serveOn(sock, '-t', '-e', '4', image);
    const talk = (bytes: Buffer) =>
      new Promise<void>((resolve) => {
        const c = net.connect(sock, () => c.end(bytes));
        c.on('data', () => {});
        c.on('error', () => resolve());
        c.on('close', () => resolve());
      });
    await talk(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await talk(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('IHAVEOPT'), Buffer.from([0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff])]));
    await talk(Buffer.from([0, 0]));
    expect(sh(`nbdinfo --size 'nbd+unix:///?socket=${sock}'`)).toBe(`${40 * MiB}\n`);
    expect(server.exitCode).toBe(null);
    server.kill('SIGTERM');
    expect(await exited(server)).toBe(0);
  });

  it('a client that asks for reads and leaves without reading the replies frees the server for the next (-e 1)', async () => {
    const sock = p('flood.sock');
    const server = await serveOn(sock, '-t', image);
    // EXPORT_NAME "", then 40 reads of 4 MiB: far more than the socket holds, so replies wait to be sent.
    const reads = Array.from({ length: 40 }, (_, i) => {
      const r = Buffer.alloc(28);
      r.writeUInt32BE(0x25609513, 0);
      r.writeBigUInt64BE(BigInt(i + 1), 8);
      r.writeBigUInt64BE(BigInt((i % 10) * 4 * MiB), 16);
      r.writeUInt32BE(4 * MiB, 24);
      return r;
    });
    const hello = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('IHAVEOPT'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 0])]);
    await new Promise<void>((resolve) => {
      const c = net.connect(sock, () => c.write(Buffer.concat([hello, ...reads])));
      let got = 0;
      c.on('data', (d) => {
        got += d.length;
        if (got > 28 + 4 * MiB) {
          c.pause(); // replies are coming: stop reading them, then go
          setTimeout(() => (c.destroy(), resolve()), 200);
        }
      });
    });
    const dev = await Promise.race([NbdDevice.connect(`nbd+unix:///?socket=${sock}`), new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    expect(dev).not.toBeNull();
    expect(Buffer.from(await dev!.read(1 * MiB, 4096)).equals(ref.subarray(1 * MiB, 1 * MiB + 4096))).toBe(true);
    await dev!.close();
    server.kill('SIGTERM');
    expect(await exited(server)).toBe(0);
  });

  it('read-only by default: writes are refused; without -t it exits when the last client leaves', async () => {
    const sock = p('ro.sock');
    const server = await serveOn(sock, image);
    const before = sha(image);
    const dev = await NbdDevice.connect(`nbd+unix:///?socket=${sock}`);
    expect(dev.readOnly).toBe(true);
    await dev.close();
    expect(await exited(server)).toBe(0);
    expect(sha(image)).toBe(before);
  });

  it('--run: $uri, $unixsocket, $port substituted, the export name listed, exit status passed through', async () => {
    const r = await runCli(['serve', '-x', 'disk', '--run', 'nbdinfo --list "$uri" | grep -c "export=\\"disk\\""; echo "sock=$unixsocket port=$port"; exit 7', image]);
    expect(r.status).toBe(7);
    expect(r.out).toMatch(/^1\nsock=\/.*\/nbd\.sock port=\n$/);
    const tcp = await runCli(['serve', '-p', '0', '--run', 'echo "$uri $port"; nbdcopy "$uri" - | cmp - ' + p('ref.raw') + ' && echo same', image]);
    expect(tcp.err).toBe('');
    const [uri, port] = tcp.out.split('\n')[0]!.split(' ');
    expect(uri).toBe(`nbd://127.0.0.1:${port}`);
    expect(tcp.out.split('\n')[1]).toBe('same');
  });

  it('-p 0 -b 127.0.0.1 --print-uri: a TCP port the system picks, printed once listening', async () => {
    const c = spawn(process.execPath, [CLI, 'serve', '-p', '0', '-b', '127.0.0.1', '--print-uri', '-x', 'a b', image], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    const uri = await new Promise<string>((resolve) => c.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    expect(uri).toMatch(/^nbd:\/\/127\.0\.0\.1:\d+\/a%20b$/);
    expect(sh(`nbdinfo --size '${uri}'`)).toBe(`${40 * MiB}\n`);
    expect(await exited(c)).toBe(0); // not persistent: the last client left
  });

  it('--rw: clients write to a throw-away overlay; --in-place writes the image', async () => {
    const before = sha(image);
    const rw = await runCli(['serve', '--rw', '--run', `printf hello | nbdcopy - "$uri" && nbdcopy "$uri" - | head -c 5; nbdinfo --can write "$uri" && echo writable`, image]);
    expect(rw.out).toBe('hellowritable\n');
    expect(sha(image)).toBe(before);

    fs.copyFileSync(p('ref.raw'), p('inplace.raw'));
    const ip = await runCli(['serve', '--in-place', '-f', 'raw', '--run', 'printf hello | nbdcopy - "$uri"', p('inplace.raw')]);
    expect(ip.status).toBe(0);
    const after = fs.readFileSync(p('inplace.raw'));
    expect(after.subarray(0, 5).toString()).toBe('hello');
    expect(after.subarray(5).equals(ref.subarray(5))).toBe(true);
  });

  it('guestkit copy through guestkit serve: NBD on both ends, zeroes and trims reach the export', async () => {
    fs.writeFileSync(p('target.raw'), Buffer.alloc(40 * MiB, 0x77));
    const r = await runCli(['serve', '--in-place', '-f', 'raw', '--run', `node "${CLI}" copy "${image}" "$uri"`, p('target.raw')]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(p('target.raw')).equals(ref)).toBe(true);
  });

  it('bad input: a missing drive, a socket in a missing directory, conflicting flags: one line, exit 1', async () => {
    for (const [args, message] of [
      [['-k', p('x.sock'), p('missing.qcow2')], /missing\.qcow2/],
      [['-k', p('nodir/x.sock'), image], /cannot listen on .*nodir\/x\.sock: no such directory/],
      [['--rw', '--in-place', image], /--rw and --in-place cannot be used together/],
      [['-k', p('ref.raw'), image], /ref\.raw: exists and is not a socket/],
    ] as const) {
      const r = await runCli(['serve', ...args]);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(new RegExp(`^guestkit serve: error: .*${message.source}.*\\n$`));
    }
    expect(fs.readFileSync(p('ref.raw')).equals(ref)).toBe(true); // a file named as the socket is left alone
  });
});
