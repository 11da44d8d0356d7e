/**
 * qcow2 backing chains are followed in TypeScript before qemu starts: loops
 * (made with qemu-img rebase -u), missing links and chains deeper than 64 are
 * refused at once, with one line, on both backends.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { checkBackingChain, MAX_BACKING_DEPTH, qcow2Backing } from '../../src/block/backing-chain.js';
import { readImageHead } from '../../src/block/format.js';
import { runCli } from '../helpers/cli.js';
import { scratch, sha256 } from '../helpers/fixtures.js';
import { TEST_BACKENDS } from '../helpers/backends.js';

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });

describe('qcow2 backing chains', () => {
  let tmp: ReturnType<typeof scratch>;
  const f = (n: string) => join(tmp.dir, n);

  beforeAll(() => {
    tmp = scratch();
    // a ← b, then a rebased onto b (unsafe: no check): a → b → a.
    qemuImg('create', '-q', '-f', 'qcow2', f('a.qcow2'), '16M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'a.qcow2', '-F', 'qcow2', f('b.qcow2'));
    qemuImg('rebase', '-u', '-b', 'b.qcow2', '-F', 'qcow2', f('a.qcow2'));
    // An image that is its own backing file.
    qemuImg('create', '-q', '-f', 'qcow2', f('self.qcow2'), '16M');
    qemuImg('rebase', '-u', '-b', 'self.qcow2', '-F', 'qcow2', f('self.qcow2'));
    // A 65-link chain: base ← l1 ← … ← l65 (l64 has exactly 64 links below it).
    qemuImg('create', '-q', '-f', 'raw', f('base.raw'), '16M');
    for (let i = 1; i <= MAX_BACKING_DEPTH + 1; i++) {
      const below = i === 1 ? ['base.raw', 'raw'] : [`l${i - 1}.qcow2`, 'qcow2'];
      qemuImg('create', '-q', '-f', 'qcow2', '-b', below[0]!, '-F', below[1]!, f(`l${i}.qcow2`));
    }
    // A link to a file that is not there.
    qemuImg('create', '-q', '-f', 'qcow2', f('gone.qcow2'), '16M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'gone.qcow2', '-F', 'qcow2', f('orphan.qcow2'));
    execFileSync('rm', [f('gone.qcow2')]);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('reads the backing name and format from the header', async () => {
    const ref = qcow2Backing((await readImageHead(f('b.qcow2'))).head);
    expect(ref).toEqual({ name: 'a.qcow2', format: 'qcow2' });
    expect(qcow2Backing((await readImageHead(f('l1.qcow2'))).head)).toEqual({ name: 'base.raw', format: 'raw' });
  });

  it('refuses a two-image loop, naming the files in order', async () => {
    await expect(checkBackingChain(f('b.qcow2'), 'b.qcow2')).rejects.toThrow('b.qcow2: backing chain loops: b.qcow2 → a.qcow2 → b.qcow2');
  });

  it('refuses an image that backs itself', async () => {
    await expect(checkBackingChain(f('self.qcow2'), 'self.qcow2')).rejects.toThrow('backing chain loops: self.qcow2 → self.qcow2');
  });

  it('accepts 64 links and refuses 65', async () => {
    await expect(checkBackingChain(f(`l${MAX_BACKING_DEPTH}.qcow2`))).resolves.toBeUndefined();
    await expect(checkBackingChain(f(`l${MAX_BACKING_DEPTH + 1}.qcow2`))).rejects.toThrow(/backing chain is deeper than 64 images/);
  });

  it('names a missing link and the image naming it', async () => {
    await expect(checkBackingChain(f('orphan.qcow2'), 'orphan.qcow2')).rejects.toThrow(/^orphan\.qcow2: backing file gone\.qcow2: No such file or directory \(named by .*orphan\.qcow2\)$/);
  });

  for (const backend of TEST_BACKENDS) {
    for (const [image, message] of [
      ['b.qcow2', /backing chain loops: \/\S*\/b\.qcow2 → a\.qcow2 → b\.qcow2$/],
      [`l${MAX_BACKING_DEPTH + 1}.qcow2`, /backing chain is deeper than 64 images/],
    ] as const) {
      it(`${backend}: guestkit cat on ${image} fails at once with one line, image untouched`, async () => {
        const before = sha256(f(image));
        const r = await runCli(['cat', `--backend=${backend}`, '-a', f(image), '-m', '/dev/sda', '/x'], { timeoutMs: 20_000 });
        expect(r.status).toBe(1);
        const lines = r.err.split('\n').filter(Boolean);
        expect(lines, r.err).toHaveLength(1);
        expect(lines[0]).toMatch(message);
        expect(sha256(f(image))).toBe(before);
      });
    }
  }
});
