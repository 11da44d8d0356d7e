/**
 * The NBD client against lying servers. A real session (handshake, reads,
 * block-status, disconnect) with nbdkit is recorded through a proxy: the
 * server's side of it, byte for byte (the client's cookies are sequential, so
 * the same session replays exactly). A fake server then replays mutated
 * copies of that recording — bits flipped, lengths and flags set to extreme
 * values, junk runs, segments duplicated or dropped, the stream cut short —
 * and the client runs the same session against each: it may succeed or fail
 * with a typed error, never anything else, and never hang.
 *
 * Seed: NBD_FUZZ_SEED (default below); iterations: NBD_FUZZ_ITERS or FUZZ_ITERS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestkitError } from '../../../../../src/errors/index.js';
import { NbdDevice } from '../../../../../src/block/nbd/client.js';
import { fuzzIterations, fuzzTimeout, seededRandom } from '../../../../helpers/fuzz-walk.js';

const SEED = Number(process.env.NBD_FUZZ_SEED ?? 0x0bd5);
const ITERS = fuzzIterations('NBD_FUZZ_ITERS', 2000);
const SIZE = 4 * 1024 * 1024;
/** A session that takes longer than this is a hang. */
const SESSION_BUDGET_MS = 5000;

let dir: string;
let nbdkit: ChildProcess | undefined;

function listen(server: net.Server, sock: string): Promise<void> {
  return new Promise((resolve) => server.listen(sock, () => resolve()));
}

/** The session every connection runs: connect, two reads, block status, disconnect. */
async function session(sock: string): Promise<void> {
  const d = await NbdDevice.connect(`nbd+unix:///?socket=${sock}`, { readOnly: true, connectTimeoutMs: SESSION_BUDGET_MS });
  try {
    await d.read(0, 4096);
    await d.read(65536, 8192);
    await d.extents(0, SIZE);
  } finally {
    await d.close();
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gk-nbd-fuzz-'));
  const data = path.join(dir, 'data.img');
  fs.writeFileSync(data, '');
  fs.truncateSync(data, SIZE); // sparse, with two data extents
  const fd = fs.openSync(data, 'r+');
  fs.writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 0);
  fs.writeSync(fd, Buffer.alloc(65536, 0xa5), 0, 65536, 65536);
  fs.closeSync(fd);
  const sock = path.join(dir, 'nbdkit.sock');
  nbdkit = spawn('nbdkit', ['-f', '--exit-with-parent', '-r', '-U', sock, 'file', data], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
});

afterAll(() => {
  nbdkit?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A piece of what the server sent, and how many bytes the client had sent before it. */
interface Piece {
  afterClientBytes: number;
  data: Buffer;
}

/** Runs the session through a proxy to nbdkit and returns what the server sent, piece by piece. */
async function record(): Promise<Piece[]> {
  const proxySock = path.join(dir, 'proxy.sock');
  const pieces: Piece[] = [];
  let fromClient = 0;
  const proxy = net.createServer((client) => {
    const upstream = net.connect(path.join(dir, 'nbdkit.sock'));
    upstream.on('data', (b: Buffer) => {
      pieces.push({ afterClientBytes: fromClient, data: Buffer.from(b) });
      client.write(b);
    });
    client.on('data', (b: Buffer) => {
      fromClient += b.length;
      upstream.write(b);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await listen(proxy, proxySock);
  try {
    await session(proxySock);
  } finally {
    await new Promise<void>((r) => proxy.close(() => r()));
  }
  return pieces;
}

/** The recording with `bytes` (a mutated concatenation) cut back into pieces at the original boundaries. */
function repiece(pieces: Piece[], bytes: Buffer): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  pieces.forEach((p, i) => {
    const end = i === pieces.length - 1 ? bytes.length : Math.min(bytes.length, at + p.data.length);
    if (end > at) out.push({ afterClientBytes: p.afterClientBytes, data: bytes.subarray(at, end) });
    at = Math.max(at, end);
  });
  return out;
}

/**
 * Serves one connection from `pieces`: each piece goes once the client has sent
 * its share, or after a short silence (a mutated session must not wait for a
 * client that waits for it); then the server hangs up.
 */
function replay(c: net.Socket, pieces: Piece[]): void {
  let received = 0;
  let next = 0;
  let idle: NodeJS.Timeout | undefined;
  const pump = (force: boolean) => {
    clearTimeout(idle);
    while (next < pieces.length && (force || pieces[next]!.afterClientBytes <= received)) {
      c.write(pieces[next++]!.data);
      force = false;
    }
    if (next >= pieces.length) c.end();
    else idle = setTimeout(() => pump(true), 20);
  };
  c.on('error', () => clearTimeout(idle));
  c.on('close', () => clearTimeout(idle));
  c.on('data', (b: Buffer) => {
    received += b.length;
    pump(false);
  });
  pump(false);
}

const EXTREME = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 512, 4096, 0x2000000, 0x10000];

function mutate(rec: Buffer, r: () => number): { bytes: Buffer; desc: string } {
  let b: Buffer = Buffer.from(rec);
  const pick = (n: number) => Math.floor(r() * n);
  const ops: string[] = [];
  const n = 1 + pick(3);
  for (let i = 0; i < n; i++) {
    const kind = pick(7);
    const at = pick(b.length);
    ops.push(`${kind}@${at}`);
    if (kind === 0) b[at] ^= 1 << pick(8);
    else if (kind === 1) b[at] = [0x00, 0xff, pick(256)][pick(3)]!;
    else if (kind === 2 && at + 4 <= b.length) b.writeUInt32BE(EXTREME[pick(EXTREME.length)]!, at & ~3);
    else if (kind === 3 && at + 2 <= b.length) b.writeUInt16BE([0, 1, 2, 3, 0xffff, 0x8000, pick(0x10000)][pick(7)]!, at & ~1);
    else if (kind === 4) {
      const end = Math.min(b.length, at + 1 + pick(32));
      for (let j = at; j < end; j++) b[j] = pick(256);
    } else if (kind === 5) {
      // duplicate or drop a segment
      const len = 1 + pick(64);
      b = r() < 0.5 ? Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
    } else {
      b = b.subarray(0, at); // the server hangs up early
    }
  }
  return { bytes: b, desc: ops.join(',') };
}

describe('NBD client fuzz', () => {
  it(`survives ${ITERS} mutated server sessions with only typed errors and no hang`, async () => {
    const pieces = await record();
    const rec = Buffer.concat(pieces.map((p) => p.data));
    expect(rec.length).toBeGreaterThan(8192 + 4096);

    const r = seededRandom(SEED);
    const liarSock = path.join(dir, 'liar.sock');
    let current = pieces;
    const liar = net.createServer((c) => replay(c, current));
    await listen(liar, liarSock);
    const codes = new Map<string, number>();
    let ok = 0, slowest = 0;
    try {
      // The unmutated recording replays as a working session.
      await session(liarSock);
      for (let iter = 0; iter < ITERS; iter++) {
        const { bytes, desc } = mutate(rec, r);
        current = repiece(pieces, bytes);
        const t0 = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<'hang'>((res) => (timer = setTimeout(() => res('hang'), SESSION_BUDGET_MS + 2000)));
        const outcome = await Promise.race([session(liarSock).then(() => 'ok' as const, (e: unknown) => e), hang]);
        clearTimeout(timer);
        slowest = Math.max(slowest, performance.now() - t0);
        const where = `seed ${SEED} iteration ${iter} (ops ${desc})`;
        if (outcome === 'hang') throw new Error(`${where}: the session hung`);
        if (outcome === 'ok') {
          ok++;
          continue;
        }
        if (!(outcome instanceof GuestkitError)) {
          throw new Error(`${where}: untyped error ${String(outcome)}\n${(outcome as Error)?.stack}`, { cause: outcome });
        }
        expect(outcome.message).not.toContain('\n');
        codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
      }
    } finally {
      await new Promise<void>((res) => liar.close(() => res()));
    }
    console.log(`nbd fuzz: seed ${SEED}, ${ITERS} sessions, ${ok} completed, typed errors ${JSON.stringify(Object.fromEntries(codes))} (slowest ${slowest.toFixed(0)} ms)`);
    expect(codes.size).toBeGreaterThan(0);
  }, fuzzTimeout(ITERS, 60));
});
