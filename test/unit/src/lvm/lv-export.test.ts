/**
 * LvExport: one LV of an image served over NBD as a disk of its own. A client
 * reads the LV's bytes (as the in-process LV map reads them), its writes land in
 * the LV's extents on the image, and closing flushes and frees the socket; an
 * image without that LV gives undefined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LvExport } from '../../../../src/lvm/lv-export.js';
import { NbdDevice } from '../../../../src/block/nbd/client.js';
import { parseNbdUri } from '../../../../src/block/nbd/uri.js';
import { Guestfs } from '../../../../src/index.js';
import { copyFixture, scratch } from '../../../helpers/fixtures.js';

let dir: string, cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = scratch());
});
afterAll(() => cleanup());

async function lvBytes(image: string, offset: number, size: number): Promise<Buffer> {
  const g = new Guestfs({ backend: 'wasm' });
  try {
    g.addDrive(image, { readonly: true });
    await g.launch();
    return Buffer.from((await g.call('pread-device', ['/dev/fedora/root', size, offset])) as Uint8Array);
  } finally {
    await g.close();
  }
}

describe('LvExport', () => {
  it('serves the LV as a whole disk: the same bytes, writes into its extents, the socket gone after close', async () => {
    const image = copyFixture('fedora.img', dir);
    const exp = await LvExport.open([{ file: image, format: 'raw' }], '/dev/fedora/root');
    expect(exp).toBeDefined();
    const socket = (parseNbdUri(exp!.uri) as { socket: string }).socket;
    const before = await lvBytes(image, 0, 65536);
    const client = await NbdDevice.connect(exp!.uri);
    try {
      expect(Buffer.from(await client.read(0, 65536))).toEqual(before);
      await client.write(1024 * 1024, new Uint8Array(4096).fill(0x5a));
      await client.flush();
    } finally {
      await client.close();
    }
    await exp!.close();
    expect(existsSync(socket)).toBe(false);
    expect((await lvBytes(image, 1024 * 1024, 4096)).every((b) => b === 0x5a)).toBe(true);
  });

  it('an image without that LV: undefined', async () => {
    const image = copyFixture('fedora.img', dir);
    expect(await LvExport.open([{ file: image, format: 'raw' }], '/dev/fedora/nope')).toBeUndefined();
    expect(await LvExport.open([{ file: join(dir, '..', 'x'), format: 'raw' }], '/dev/fedora/root').catch((e: Error) => e.message)).toMatch(/x/);
  });
});
