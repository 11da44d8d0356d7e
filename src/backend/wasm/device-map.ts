/**
 * The wasm backend's /dev: whole drives and their partitions, named as the
 * Linux kernel (and so libguestfs) names them, each a BlockDevice.
 */
import type { BlockDevice } from '../../block/block-device.js';
import { SliceDevice } from '../../block/slice.js';
import { readPartitionTable, type Partition, type PartitionTable } from '../../partition/partition-table.js';
import { driveName } from '../backend.js';
import { scanLvm, type LvmLv, type LvmScan } from '../../lvm/scan.js';
import { dmName } from '../../lvm/report.js';

const EXTENDED_DEVICE_BYTES = 1024;

export interface DeviceEntry {
  name: string;
  dev: BlockDevice;
  /** Index of the drive it is on (for an LV: of its first PV). */
  drive: number;
  partition?: Partition;
  /** Set for LVM logical volumes. */
  lv?: LvmLv;
}

export class DeviceMap {
  readonly drives: DeviceEntry[] = [];
  readonly partitions: DeviceEntry[] = [];
  readonly tables: (PartitionTable | null)[] = [];
  readonly lvs: DeviceEntry[] = [];
  lvm: LvmScan = { pvs: [], vgs: [], lvs: [], warnings: [], errors: [] };
  private readonly byName = new Map<string, DeviceEntry>();

  static async build(drives: BlockDevice[]): Promise<DeviceMap> {
    const map = new DeviceMap();
    for (const [i, dev] of drives.entries()) {
      const name = driveName(i);
      const entry: DeviceEntry = { name, dev, drive: i };
      map.drives.push(entry);
      map.byName.set(name, entry);
      const table = await readPartitionTable(dev);
      map.tables.push(table);
      for (const p of table?.partitions ?? []) {
        // Linux exposes an MBR extended partition as a 1 KiB device (its first two
        // sectors), not its whole span: blockdev-getsize64 reports that.
        const length = p.extended ? Math.min(p.size, EXTENDED_DEVICE_BYTES) : p.size;
        const pe: DeviceEntry = { name: `${name}${p.number}`, dev: new SliceDevice(dev, p.start, length, { name: `${name}${p.number}` }), drive: i, partition: p };
        map.partitions.push(pe);
        map.byName.set(pe.name, pe);
      }
    }
    await map.addLvm();
    return map;
  }

  /** Scans the filesystem candidates for LVM PVs and adds each mappable LV as /dev/VG/LV. */
  private async addLvm(): Promise<void> {
    const candidates = this.filesystemCandidates();
    this.lvm = await scanLvm(candidates.map((d) => ({ name: d.name, dev: d.dev })));
    for (const lv of this.lvm.lvs) {
      if (!lv.dev) continue;
      const firstPv = this.lvm.pvs.find((pv) => pv.vgName === lv.vg);
      const drive = firstPv ? this.byName.get(firstPv.device)?.drive ?? -1 : -1;
      const entry: DeviceEntry = { name: lv.path, dev: lv.dev, drive, lv };
      this.lvs.push(entry);
      this.byName.set(lv.path, entry);
      this.byName.set(`/dev/mapper/${dmName(lv.vg, lv.name)}`, entry);
    }
    // In lvm's report order (by /dev/VG/LV, byte order), as libguestfs lists them, not metadata order.
    this.lvs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): DeviceEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * Block devices that may hold a filesystem: drives with no partition table,
   * partitions (not extended ones), then LVs. (PVs are among them; list-filesystems leaves
   * them out by their type.)
   */
  filesystemCandidates(): DeviceEntry[] {
    // libguestfs's order: whole-disk devices first, then every partition, then LVs.
    const wholeDisks = this.drives.filter((d) => !this.tables[d.drive]);
    const partitions = this.partitions.filter((p) => !p.partition!.extended);
    return [...wholeDisks, ...partitions, ...this.lvs];
  }
}
