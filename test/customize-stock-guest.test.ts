/**
 * customize on a Fedora-shaped guest (LVM, ext4 root, /opt on an xfs LV) under
 * --backend auto: the one chooser sends the writes to the appliance (the wasm backend
 * reads xfs but does not write it) and says why under -v; the result, read back
 * in process, has every operation applied, on the ext4 root and on the xfs /opt.
 * (It used to refuse the guest: "xfs filesystems are not supported by the wasm backend".)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { haveQemu } from './helpers/backends.js';
import { runCli } from './helpers/cli.js';
import { copyFixture, scratch } from './helpers/fixtures.js';

describe.skipIf(!haveQemu)('customize on a guest with xfs, backend auto', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('writes through the appliance, and the wasm backend reads the result', async () => {
    const image = copyFixture('fedora-optxfs.img', tmp.dir);
    const r = await runCli(['customize', '-v', '-a', image, '--hostname', 'customized.example.com', '--write', '/opt/app/NOTE:written on xfs', '--mkdir', '/opt/made'], { timeoutMs: 180_000 });
    expect(r.status, r.err).toBe(0);
    expect(r.err).toMatch(/backend: appliance \(auto: .*xfs, which the wasm backend does not write/);
    const back = await runCli(['cat', '-v', '-a', image, '/etc/hostname', '/opt/app/NOTE'], { timeoutMs: 60_000 });
    expect(back.err).toMatch(/backend: wasm/);
    expect(back.out).toBe('customized.example.com\nwritten on xfs');
    const ls = await runCli(['ls', '-a', image, '/opt'], { timeoutMs: 60_000 });
    expect(ls.out.split('\n')).toContain('made');
  }, 240_000);
});
