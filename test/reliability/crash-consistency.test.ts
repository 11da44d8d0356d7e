/**
 * Crash consistency, proved at every write boundary of a commit: the process
 * is SIGKILLed (or gets an I/O error) at the Nth fault point (GUESTKIT_FAULT,
 * src/block/fault-points.ts), for customize on raw and qcow2 and for fish on
 * raw (whose every flush is a commit). Runs are made deterministic with a
 * fixed clock, so the image at the start of each commit is known byte for
 * byte: killed before a commit's commit point, the image must be exactly as
 * the previous commit left it; after it, the image plus the journal's ranges
 * (read with this file's own reader of the journal format) must be exactly
 * the image after the commit, a read-only open must see that without writing
 * a byte, and the next writable open must finish it, leaving no journal and a
 * filesystem e2fsck finds clean.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ROOT, e2fsck, fixture, scratch, sha256 } from '../helpers/fixtures.js';

const FULL = process.env.RELIABILITY_FULL === '1';
const PART_OFFSET = 2048 * 512; // alpine.img: one ext4 partition at sector 2048

interface Scenario {
  name: string;
  /** A tool that commits once, at its end (customize), rather than at every flush (fish). */
  commitsOnce: boolean;
  format: 'raw' | 'qcow2';
  /** The tool's arguments for image `img`. */
  args: (img: string) => string[];
  input?: string;
  /** What a finished commit shows, read back through guestkit. */
  check: (img: string) => Promise<void>;
}

const catMotd = async (img: string) => {
  const r = await runCli(['cat', '-a', img, '/etc/motd']);
  expect(r.err).toBe('');
  expect(r.out).toBe('crash test\n');
};

const SCENARIOS: Scenario[] = [
  { name: 'customize on raw', commitsOnce: true, format: 'raw', args: (img) => ['customize', '-a', img, '--write', '/etc/motd:crash test\n', '--mkdir', '/opt/crash'], check: catMotd },
  { name: 'customize on qcow2', commitsOnce: true, format: 'qcow2', args: (img) => ['customize', '--format', 'qcow2', '-a', img, '--write', '/etc/motd:crash test\n'], check: catMotd },
  {
    name: 'fish on raw',
    commitsOnce: false,
    format: 'raw',
    args: (img) => ['fish', '-a', img, '-i'],
    input: 'write /etc/motd "crash test\\n"\nmkdir-p /opt/fish\ntouch /opt/fish/f\n',
    check: catMotd,
  },
];

/** The ranges of a complete journal, read with this test's own parser of its documented layout. */
function journalRanges(file: string): Array<{ offset: number; data: Buffer | null; length: number }> {
  const b = readFileSync(file);
  expect(b.subarray(0, 8).toString()).toBe('GKJOURN1');
  const trailer = b.subarray(b.length - 48);
  expect(trailer.subarray(0, 8).toString()).toBe('GKCOMMIT');
  const count = Number(trailer.readBigUInt64LE(8));
  const out = [];
  let pos = 32;
  for (let i = 0; i < count; i++) {
    const offset = Number(b.readBigUInt64LE(pos));
    const length = Number(b.readBigUInt64LE(pos + 8));
    const kind = b.readUInt32LE(pos + 16);
    pos += 24;
    if (kind === 1) {
      out.push({ offset, length, data: b.subarray(pos, pos + length) });
      pos += length;
    } else out.push({ offset, length, data: null });
    pos += Math.ceil(length / 65536) * 32; // old and new digests of each 64 KiB piece
  }
  expect(pos).toBe(b.length - 48);
  return out;
}

/** The guest-visible bytes of an image (qcow2 through qemu-img), as a Buffer. */
function guestBytes(img: string, format: string, dir: string): Buffer {
  if (format === 'raw') return readFileSync(img);
  const raw = join(dir, 'view.raw');
  execFileSync('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', img, raw]);
  const b = readFileSync(raw);
  rmSync(raw);
  return b;
}

function journalFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('guestkit-journal'));
}

/** `qemu-img check` finds no leak, error or corruption (after the image was reopened and settled). */
function qemuImgCheckClean(img: string, what: string): void {
  const r = spawnSync('qemu-img', ['check', '--output=json', img], { encoding: 'utf8' });
  expect(r.status, `${what}: qemu-img check: ${r.stdout}${r.stderr}`).toBe(0);
  const j = JSON.parse(r.stdout) as Record<string, number | undefined>;
  expect([j['leaks'] ?? 0, j['corruptions'] ?? 0, j['check-errors'] ?? 0], `${what}: qemu-img check: ${r.stdout}`).toEqual([0, 0, 0]);
}

/** Puts the original image back, with no journal of an earlier run beside it. */
function restore(original: string, img: string, dir: string): void {
  for (const f of journalFiles(dir)) rmSync(join(dir, f));
  copyFileSync(original, img);
}

/**
 * Which kill points to try: all of them with RELIABILITY_FULL=1; else, in each
 * commit, the boundaries where the outcome changes: its first journal write,
 * the last one, the fsync, just before the rename (the commit point), the
 * first image write, the flush and the journal's removal.
 */
function pointsToTry(labels: string[], commitsOnce: boolean): number[] {
  const all = labels.map((_, i) => i + 1);
  if (FULL) return all;
  const keep = new Set<number>();
  labels.forEach((l, i) => {
    const prev = labels[i - 1];
    const next = labels[i + 1];
    const firstOfCommit = l === 'journal-write' && (i === 0 || prev === 'journal-remove');
    const boundary = firstOfCommit || l === 'journal-rename' || (l === 'image-write' && prev === 'journal-rename') || l === 'journal-remove';
    const inner = (l === 'journal-write' && next === 'journal-fsync') || l === 'journal-fsync' || l === 'image-flush' || l.startsWith('qcow2-');
    if (boundary || (commitsOnce && inner)) keep.add(i + 1);
  });
  return all.filter((n) => keep.has(n));
}

for (const s of SCENARIOS) {
  describe(`crash consistency: ${s.name}`, () => {
    const tmp = scratch();
    afterAll(() => tmp.cleanup());
    const original = join(tmp.dir, `original.${s.format}`);
    if (s.format === 'raw') copyFileSync(fixture('alpine.img'), original);
    else execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', fixture('alpine.img'), original]);
    const originalBytes = guestBytes(original, s.format, tmp.dir);
    const img = join(tmp.dir, `t.${s.format}`);
    // A fixed clock makes the guest's timestamps, so the images of separate runs, identical.
    const clock = { NODE_OPTIONS: `--import=${join(ROOT, 'test', 'helpers', 'fixed-clock.mjs')}` };
    const run = (env: Record<string, string>) => runCli(s.args(img), { env: { ...clock, ...env }, input: s.input, timeoutMs: 60_000 });

    let labels: string[] = [];
    it('counts the commit\'s fault points, and an uninterrupted run commits', async () => {
      restore(original, img, tmp.dir);
      const countFile = join(tmp.dir, 'points');
      const r = await run({ GUESTKIT_FAULT: `count@${countFile}` });
      expect(r.status).toBe(0);
      labels = readFileSync(countFile, 'utf8').trim().split('\n');
      expect(labels).toContain('journal-rename');
      expect(labels.filter((l) => l === 'image-write').length).toBeGreaterThan(0);
      expect(journalFiles(tmp.dir)).toEqual([]);
      await s.check(img);
    }, 60_000);

    it('a SIGKILL at any point leaves the image as of one commit or the next, and a complete journal is finished on the next open', async () => {
      expect(labels.length).toBeGreaterThan(3);
      // Commit k spans the points from its first journal-write to its journal-remove.
      const commitOf: number[] = [];
      const firstPoint: number[] = [];
      let k = 0;
      labels.forEach((l, i) => {
        if (l === 'journal-write' && (i === 0 || labels[i - 1] === 'journal-remove')) firstPoint[k++] = i + 1;
        commitOf[i + 1] = k - 1;
      });
      // The image at the start of each commit: killed at that commit's first point (runs are deterministic).
      const starts: Buffer[] = [];
      for (const p of firstPoint) {
        restore(original, img, tmp.dir);
        const r = await run({ GUESTKIT_FAULT: `kill@${p}` });
        expect(r.signal).toBe('SIGKILL');
        starts.push(guestBytes(img, s.format, tmp.dir));
      }
      expect(starts[0]!.equals(originalBytes), 'killed before the first commit, the image changed').toBe(true);
      restore(original, img, tmp.dir);
      const whole = await run({});
      expect(whole.status, whole.err).toBe(0);
      const states = [...starts, guestBytes(img, s.format, tmp.dir)];

      const journal = join(tmp.dir, `t.${s.format}.guestkit-journal`);
      for (const n of pointsToTry(labels, s.commitsOnce)) {
        const c = commitOf[n]!;
        const what = `kill@${n} (${labels[n - 1]}, commit ${c + 1} of ${firstPoint.length})`;
        restore(original, img, tmp.dir);
        const r = await run({ GUESTKIT_FAULT: `kill@${n}` });
        expect(r.signal, what).toBe('SIGKILL');
        const committed = existsSync(journal);
        if (!committed) {
          // Before the commit point: the image is as the previous commit left it.
          expect(guestBytes(img, s.format, tmp.dir).equals(states[c]!), `${what}: not the image before the commit`).toBe(true);
        } else {
          // Past it: the journal holds the whole commit, and replaying it gives the image after it.
          const onDisk = guestBytes(img, s.format, tmp.dir);
          for (const rg of journalRanges(journal)) {
            if (rg.data) rg.data.copy(onDisk, rg.offset);
            else onDisk.fill(0, rg.offset, rg.offset + rg.length);
          }
          expect(onDisk.equals(states[c + 1]!), `${what}: the journal is not the commit`).toBe(true);
          if (c === firstPoint.length - 1) {
            const diskSum = sha256(img);
            await s.check(img); // a read-only open reads the journal over the image...
            expect(sha256(img), `${what}: a read-only open wrote to the image`).toBe(diskSum); // ...and writes nothing
            expect(existsSync(journal)).toBe(true);
          }
        }
        const reopened = await runCli(['fish', '-a', img, 'run']);
        expect(reopened.status, reopened.err).toBe(0);
        expect(journalFiles(tmp.dir), `${what}: the next writable open leaves no journal`).toEqual([]);
        const settled = guestBytes(img, s.format, tmp.dir);
        expect(settled.equals(committed ? states[c + 1]! : states[c]!), `${what}: not as before or after the commit`).toBe(true);
        if (s.format === 'raw') expect(e2fsck(img, PART_OFFSET).status, `${what}: e2fsck`).toBe(0);
        else qemuImgCheckClean(img, what);
      }
    }, 600_000);

    it.runIf(s.commitsOnce)('an I/O error before the commit point fails in one line and leaves the image as before', async () => {
      const commitPoint = labels.indexOf('journal-rename') + 1;
      for (const n of [1, commitPoint]) {
        restore(original, img, tmp.dir);
        const r = await run({ GUESTKIT_FAULT: `fail@${n}` });
        expect(r.status).not.toBe(0);
        expect(r.err).toMatch(/injected I\/O error at journal-/);
        expect(r.err).not.toMatch(/\n\s+at /);
        expect(journalFiles(tmp.dir)).toEqual([]);
        expect(guestBytes(img, s.format, tmp.dir).equals(originalBytes)).toBe(true);
      }
    }, 60_000);

    it.runIf(s.commitsOnce)('an I/O error after the commit point says the next open finishes the commit, and it does', async () => {
      const firstImageWrite = labels.indexOf('image-write') + 1;
      restore(original, img, tmp.dir);
      const r = await run({ GUESTKIT_FAULT: `fail@${firstImageWrite}` });
      expect(r.status).not.toBe(0);
      expect(r.err).toMatch(/the commit stopped after its journal was written \(injected I\/O error at image-write.*the next guestkit open of the image finishes it/);
      expect(journalFiles(tmp.dir)).toEqual([`t.${s.format}.guestkit-journal`]);
      const reopened = await runCli(['fish', '-a', img, 'run']);
      expect(reopened.status).toBe(0);
      expect(journalFiles(tmp.dir)).toEqual([]);
      await s.check(img);
    }, 60_000);

    it.runIf(!s.commitsOnce)('an I/O error in a flush fails that command in one line, and the session\'s last flush commits what came before', async () => {
      for (const n of [1, labels.indexOf('image-write') + 1]) {
        restore(original, img, tmp.dir);
        const r = await run({ GUESTKIT_FAULT: `fail@${n}` });
        expect(r.status).not.toBe(0);
        expect(r.err).toMatch(/injected I\/O error at (journal|image)-/);
        expect(r.err).not.toMatch(/\n\s+at /);
        // The script stops at the failed command; the session's last flush commits what came before.
        expect(journalFiles(tmp.dir)).toEqual([]);
        await s.check(img);
        expect(e2fsck(img, PART_OFFSET).status).toBe(0);
      }
    }, 60_000);
  });
}

describe('a journal left beside an image it no longer matches', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('is refused in one line, and the image is left alone', async () => {
    const original = join(tmp.dir, 'original.img');
    copyFileSync(fixture('alpine.img'), original);
    const img = join(tmp.dir, 't.img');
    copyFileSync(original, img);
    // A commit interrupted past its commit point (its last point is journal-remove)...
    const countFile = join(tmp.dir, 'points');
    const args = ['customize', '-a', img, '--write', '/etc/motd:crash test\n'];
    await runCli(args, { env: { GUESTKIT_FAULT: `count@${countFile}` } });
    const labels = readFileSync(countFile, 'utf8').trim().split('\n');
    copyFileSync(original, img);
    const r = await runCli(args, { env: { GUESTKIT_FAULT: `kill@${labels.lastIndexOf('journal-remove') + 1}` } });
    expect(r.signal).toBe('SIGKILL');
    // ...then the image is replaced by another one (a different guest, same size).
    execFileSync('dd', [`if=${fixture('alpine.img')}`, `of=${img}`, 'bs=1M', 'count=2', 'conv=notrunc'], { stdio: 'ignore' });
    execFileSync('dd', ['if=/dev/urandom', `of=${img}`, 'bs=512', 'count=1', 'seek=2048', 'conv=notrunc'], { stdio: 'ignore' });
    const before = sha256(img);
    for (const a of [['cat', '-a', img, '/etc/motd'], ['fish', '-a', img, 'run']]) {
      const o = await runCli(a);
      expect(o.status).not.toBe(0);
      expect(o.err).toMatch(/t\.img: the commit journal .*t\.img\.guestkit-journal does not match the image at byte \d+ .*remove the journal to use the image as it is/);
      expect(o.err.trim().split('\n')).toHaveLength(1);
    }
    expect(sha256(img)).toBe(before);
    expect(journalFiles(tmp.dir)).toEqual(['t.img.guestkit-journal']);
  });
});
