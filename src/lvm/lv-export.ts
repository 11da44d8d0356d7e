/**
 * One logical volume of a set of images served as a disk of its own over NBD
 * (a unix socket in a private temporary directory), its extents mapped in
 * TypeScript: a consumer such as the appliance then sees the LV's filesystem on
 * a whole disk and needs no LVM (no scan, no activation) to reach it. Writes go
 * through to the images' PV areas. The images are opened here, read-write,
 * unjournaled (the caller writes into a throw-away overlay and commits it whole).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BlockDevice } from '../block/block-device.js';
import { openDrive } from '../block/open-drive.js';
import { SliceDevice } from '../block/slice.js';
import { SocketExport } from '../block/nbd/socket-export.js';
import { formatNbdUri } from '../block/nbd/uri.js';
import { readPartitionTable } from '../partition/partition-table.js';
import { addExitCleanup, removeExitCleanup } from '../util/process-cleanup.js';
import { dmName } from './report.js';
import { scanLvm } from './scan.js';

const live = new Set<string>();
const removeAllSync = () => {
  for (const d of live) fs.rmSync(d, { recursive: true, force: true });
  live.clear();
};

export class LvExport {
  private constructor(
    /** nbd+unix:///?socket=… */
    readonly uri: string,
    /** The LV served, as the caller named it. */
    readonly lv: string,
    private readonly dir: string,
    private readonly drives: BlockDevice[],
    private readonly served: SocketExport,
  ) {}

  /**
   * Serves LV (/dev/VG/LV or /dev/mapper/VG-LV) of the drives; undefined when
   * the drives hold no such LV or its kind is not mapped in TypeScript.
   */
  static async open(drives: readonly { file: string; format?: string }[], lv: string): Promise<LvExport | undefined> {
    const devs: BlockDevice[] = [];
    let dir: string | undefined;
    try {
      const candidates: { name: string; dev: BlockDevice }[] = [];
      for (const [i, d] of drives.entries()) {
        const dev = await openDrive({ file: d.file, format: d.format, readOnly: false, locking: false, journaled: false, qemuNbd: false });
        devs.push(dev);
        const table = await readPartitionTable(dev);
        if (!table) candidates.push({ name: `drive${i}`, dev });
        for (const p of table?.partitions ?? []) if (!p.extended) candidates.push({ name: `drive${i}p${p.number}`, dev: new SliceDevice(dev, p.start, p.size) });
      }
      const scan = await scanLvm(candidates);
      const found = scan.lvs.find((x) => x.path === lv || `/dev/mapper/${dmName(x.vg, x.name)}` === lv);
      if (!found?.dev) {
        for (const d of devs) await d.close();
        return undefined;
      }
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-lv-'));
      live.add(dir);
      addExitCleanup(removeAllSync);
      const socket = path.join(dir, 'lv.sock');
      const served = await SocketExport.listen(found.dev, socket, { exportName: '', readOnly: false, multiConn: false, findZeroRuns: false });
      return new LvExport(formatNbdUri({ kind: 'unix', socket, exportName: '' }), lv, dir, devs, served);
    } catch (e) {
      for (const d of devs) await d.close().catch(() => undefined);
      if (dir) LvExport.removeDir(dir);
      throw e;
    }
  }

  private static removeDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
    if (live.size === 0) removeExitCleanup(removeAllSync);
  }

  /**
   * Stops serving (after the clients left), then flushes and closes the images.
   * Fails when a client's write or flush failed: its guest may not have noticed.
   */
  async close(): Promise<void> {
    await this.served.stop();
    try {
      const failed = this.served.failureError(`${this.lv} (served over NBD): a write failed`);
      if (failed) throw failed;
      for (const d of this.drives) await d.flush();
    } finally {
      for (const d of this.drives) await d.close();
      LvExport.removeDir(this.dir);
    }
  }
}
