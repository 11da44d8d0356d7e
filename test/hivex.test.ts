/** hivex-* commands: a SOFTWARE hive built by our writer, read and edited inside a guest image. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { Hive } from '../src/hive/index.js';
import { buildWindowsSoftwareHive } from '../fixtures/hive/index.js';
import { copyFixture, scratch } from './helpers/fixtures.js';
import { runFish } from './helpers/fish-run.js';
import { haveCommand } from './helpers/host-tools.js';

describe('hivex commands', () => {
  let tmp: ReturnType<typeof scratch>;
  let img: string;
  beforeAll(async () => {
    tmp = scratch();
    img = copyFixture('ext4.img', tmp.dir);
    const hiveFile = join(tmp.dir, 'SOFTWARE');
    writeFileSync(hiveFile, buildWindowsSoftwareHive());
    const g = new Guestfs();
    g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.mkdirP('/Windows/System32/config');
    await g.upload(hiveFile, '/Windows/System32/config/SOFTWARE');
    await g.close();
  });
  afterAll(() => tmp.cleanup());

  it('navigates, edits and commits a hive in the guest', async () => {
    const g = new Guestfs();
    g.addDrive(img, { format: 'raw' });
    await g.launch();
    await g.mount('/dev/sda', '/');
    await g.hivexOpen('/Windows/System32/config/SOFTWARE', { write: true });
    const root = await g.hivexRoot();
    const ms = await g.hivexNodeGetChild(root, 'microsoft');
    expect(ms).toBeGreaterThan(0);
    expect(await g.hivexNodeName(ms)).toBe('Microsoft');
    const cv = await g.hivexNodeGetChild(await g.hivexNodeGetChild(ms, 'Windows NT'), 'CurrentVersion');
    const product = await g.hivexNodeGetValue(cv, 'ProductName');
    expect(await g.hivexValueType(product)).toBe(1);
    expect(await g.hivexValueString(product)).toMatch(/^Windows/);
    expect(await g.hivexNodeGetValue(cv, 'NoSuchValue')).toBe(0);
    const added = await g.hivexNodeAddChild(cv, 'Guestkit');
    await g.hivexNodeSetValue(added, 'Greeting', 1, Buffer.from('h\0i\0\0\0', 'latin1').toString('latin1'));
    await g.hivexCommit(null);
    await g.hivexClose();
    const bytes = await g.readFile('/Windows/System32/config/SOFTWARE');
    await g.close();
    const h = Hive.open(bytes);
    const node = h.nodeAt('Microsoft\\Windows NT\\CurrentVersion\\Guestkit')!;
    expect(h.valueString(h.nodeGetValue(node, 'Greeting')!)).toBe('hi');
  });

  it('works from fish, printing structs as guestfish does', async () => {
    const r = await runFish('wasm', `add ${img} format:raw readonly:true\nrun\nmount-ro /dev/sda /\nhivex-open /Windows/System32/config/SOFTWARE\nhivex-root\nhivex-node-children 4128\n-hivex-commit NULL\n`);
    expect(r.out).toMatch(/^\d+\n(\[\d+\] = \{\n  hivex_node_h: \d+\n\}\n)+$/);
    expect(r.err).toMatch(/hivex-commit: .*opened without write:true/);
  });
});

describe.runIf(haveCommand('hivexregedit'))('hives written in the guest read back by the host hivex tools', () => {
  it('exports the committed hive with hivexregedit', () => {
    const t = scratch();
    try {
      const file = join(t.dir, 'SOFTWARE');
      writeFileSync(file, buildWindowsSoftwareHive());
      const out = execFileSync('hivexregedit', ['--export', file, '\\'], { encoding: 'utf8', env: { ...process.env, PERL_UNICODE: 'SAOD' } });
      expect(out).toContain('"ProductName"=');
    } finally {
      t.cleanup();
    }
  });
});
