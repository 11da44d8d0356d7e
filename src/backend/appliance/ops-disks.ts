/**
 * Appliance operations on whole disks: partition tables (read and written by the
 * same TypeScript code as the wasm backend, over an agent-backed BlockDevice, so
 * both backends agree), mkfs and blkid.
 */
import type { BlockDevice, Extent } from '../../block/block-device.js';
import { ErrnoError } from '../../errors/index.js';
import { readPartitionTable, type PartitionTable } from '../../partition/partition-table.js';
import {
  addPartition, initPartitionTable, parsePartType, parsePrlogex, partitionWholeDisk,
} from '../../partition/partition-writer.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript, lines, toGuestDev } from './ops-common.js';

const CACHE_BLOCK = 64 * 1024;

/** A guest block device read and written through the agent (dd on the appliance's device node). */
class AgentBlockDevice implements BlockDevice {
  constructor(
    private readonly b: ApplianceBackend,
    readonly name: string,
    readonly size: number,
    readonly readOnly: boolean,
  ) {}

  static async open(b: ApplianceBackend, dev: string): Promise<AgentBlockDevice> {
    const out = await b.shText(`${devScript(dev)}\nblockdev --getsize64 "$d"; blockdev --getro "$d"`);
    const [size = '0', ro = '0'] = lines(out);
    return new AgentBlockDevice(b, dev, Number(size), ro.trim() === '1');
  }

  /**
   * Blocks read so far (this object lives for one command): a partition table
   * is a few small reads near the start and the end of the disk, and each agent
   * round trip costs tens of milliseconds under TCG.
   */
  private readonly cache = new Map<number, Uint8Array>();

  private async block(index: number): Promise<Uint8Array> {
    let blk = this.cache.get(index);
    if (!blk) {
      const offset = index * CACHE_BLOCK;
      const length = Math.min(CACHE_BLOCK, this.size - offset);
      const out = await this.b.sh(`${devScript(this.name)}
dd if="$d" bs=65536 iflag=skip_bytes,count_bytes,fullblock skip=${offset} count=${length} 2>/dev/null`);
      if (out.length !== length) throw new ErrnoError('EIO', `${this.name}: short read at ${offset}`);
      blk = new Uint8Array(out.buffer, out.byteOffset, out.length);
      this.cache.set(index, blk);
    }
    return blk;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) throw new ErrnoError('EIO', `${this.name}: read past the end of the device`);
    const res = new Uint8Array(length);
    for (let pos = offset; pos < offset + length; ) {
      const i = Math.floor(pos / CACHE_BLOCK);
      const blk = await this.block(i);
      const from = pos - i * CACHE_BLOCK;
      const n = Math.min(blk.length - from, offset + length - pos);
      res.set(blk.subarray(from, from + n), pos - offset);
      pos += n;
    }
    return res;
  }

  async readInto(offset: number, into: Uint8Array): Promise<void> {
    into.set(await this.read(offset, into.length));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new ErrnoError('EROFS', `${this.name}: Read-only file system`);
    await this.b.sh(`${devScript(this.name)}
dd of="$d" bs=65536 oflag=seek_bytes conv=notrunc seek=${offset} 2>/dev/null`, { stdin: data });
    // Keep cached blocks in step with what was written.
    for (const [i, blk] of this.cache) {
      const start = i * CACHE_BLOCK;
      const a = Math.max(start, offset);
      const z = Math.min(start + blk.length, offset + data.length);
      if (a < z) blk.set(data.subarray(a - offset, z - offset), a - start);
    }
  }

  async zero(offset: number, length: number): Promise<void> {
    await this.write(offset, new Uint8Array(length));
  }

  async flush(): Promise<void> {
    await this.b.sh(`${devScript(this.name)}\nsync; blockdev --flushbufs "$d"`);
  }

  async extents(offset: number, length: number): Promise<Extent[]> {
    return [{ offset, length, zero: false, hole: false }];
  }

  async close(): Promise<void> {}
}

/** Whole-device check: partitions and LVs have no partition table of their own. */
function wholeDevice(dev: string): void {
  if (!/^\/dev\/sd[a-z]+$/.test(dev)) throw new ErrnoError('EINVAL', `${dev}: not a whole device (a partition)`);
}

async function partitionTable(b: ApplianceBackend, dev: string): Promise<PartitionTable> {
  wholeDevice(dev);
  const table = await readPartitionTable(await AgentBlockDevice.open(b, dev));
  if (!table) throw new ErrnoError('EINVAL', `${dev}: no partition table (unrecognised partition table type)`);
  return table;
}

/** Makes the kernel re-read a disk's partition table and waits for the partition nodes. */
async function rereadPartitions(b: ApplianceBackend, dev: string): Promise<void> {
  await b.sh(`${devScript(dev)}
blockdev --rereadpt "$d" || die EBUSY ${sq(`${dev}: the kernel cannot re-read the partition table (a partition is in use)`)}
n=\${d##*/} i=0
for p in /sys/block/$n/$n*; do
  [ -e "$p/partition" ] || continue
  while [ ! -b "/dev/\${p##*/}" ] && [ $i -lt 200 ]; do usleep 10000; i=$((i + 1)); done
done
:`);
}

/** Runs a partition-table writer on the disk, then has the kernel pick the new table up. */
async function writeTable<T>(b: ApplianceBackend, dev: string, fn: (d: BlockDevice) => Promise<T>): Promise<T> {
  wholeDevice(dev);
  const d = await AgentBlockDevice.open(b, dev);
  // Refuse while a partition is mounted: the kernel would keep the old table.
  const busy = await b.shText(`n=${sq(toGuestDev(dev).slice(5))}
for m in $(cut -d' ' -f1 /proc/mounts); do case $m in /dev/$n*) echo "$m";; esac; done; :`);
  if (busy.trim()) throw new ErrnoError('EBUSY', `${dev}: a partition of this device is mounted`);
  const result = await fn(d);
  await rereadPartitions(b, dev);
  return result;
}

/** Runs a partition-table reader on the whole device's bytes. */
async function readTable<T>(b: ApplianceBackend, dev: string, fn: (d: BlockDevice) => Promise<T>): Promise<T> {
  wholeDevice(dev);
  return fn(await AgentBlockDevice.open(b, dev));
}

// ---------------------------------------------------------------- mkfs

const MKFS: Record<string, { prog: string; force: string[]; label: string; blocksize?: (n: number) => string[] }> = {
  ext2: { prog: '/usr/sbin/mke2fs -t ext2', force: ['-F', '-q'], label: '-L', blocksize: (n) => ['-b', String(n)] },
  ext3: { prog: '/usr/sbin/mke2fs -t ext3', force: ['-F', '-q'], label: '-L', blocksize: (n) => ['-b', String(n)] },
  ext4: { prog: '/usr/sbin/mke2fs -t ext4', force: ['-F', '-q'], label: '-L', blocksize: (n) => ['-b', String(n)] },
  xfs: { prog: '/usr/sbin/mkfs.xfs', force: ['-f', '-q'], label: '-L', blocksize: (n) => ['-b', `size=${n}`] },
  btrfs: { prog: '/usr/sbin/mkfs.btrfs', force: ['-f', '-q'], label: '-L', blocksize: (n) => ['-s', String(n)] },
  vfat: { prog: '/usr/sbin/mkfs.vfat', force: ['-I'], label: '-n', blocksize: (n) => ['-s', String(Math.max(1, n / 512))] },
  msdos: { prog: '/usr/sbin/mkfs.msdos', force: ['-I'], label: '-n', blocksize: (n) => ['-s', String(Math.max(1, n / 512))] },
  ntfs: { prog: '/usr/sbin/mkfs.ntfs', force: ['-F', '-Q', '-q'], label: '-L', blocksize: (n) => ['-c', String(n)] },
};

export interface MkfsOptions {
  blocksize?: number;
  features?: string;
  label?: string;
}

async function mkfs(b: ApplianceBackend, fstype: string, dev: string, o: MkfsOptions = {}): Promise<void> {
  const m = MKFS[fstype];
  if (!m) throw new ErrnoError('EINVAL', `${fstype}: unsupported filesystem type (supported: ${Object.keys(MKFS).join(', ')})`);
  const args = [...m.force];
  if (o.blocksize !== undefined) {
    if (!Number.isInteger(o.blocksize) || o.blocksize < 512 || (o.blocksize & (o.blocksize - 1)) !== 0) {
      throw new ErrnoError('EINVAL', `${o.blocksize}: blocksize must be a power of 2 of at least 512`);
    }
    args.push(...m.blocksize!(o.blocksize));
  }
  if (o.features !== undefined) {
    if (!fstype.startsWith('ext')) throw new ErrnoError('EINVAL', `features: only for ext2/3/4 filesystems`);
    args.push('-O', o.features);
  }
  if (o.label !== undefined) args.push(m.label, o.label);
  // Full paths: the appliance's busybox ash prefers its own applets (mke2fs, mkdosfs) to PATH.
  const prog = m.prog.split(' ')[0]!;
  await b.sh(`${devScript(dev)}
[ -x ${prog} ] || die ENOTSUP ${sq(`${fstype}: ${prog} is not in the appliance`)}
grep -q "^$d " /proc/mounts && die EBUSY ${sq(`${dev}: Device or resource busy (mounted)`)}
${m.prog} ${args.map(sq).join(' ')} "$d" </dev/null >/tmp/.mkfs 2>&1 || { cat /tmp/.mkfs >&2; exit 1; }`, { timeoutMs: 600_000 });
}

// ---------------------------------------------------------------- blkid

/** libguestfs's blkid: every low-level probe field of the device (blkid -p -i -o export). */
async function blkid(b: ApplianceBackend, dev: string): Promise<Record<string, string>> {
  const out = await b.shText(`${devScript(dev)}
/usr/sbin/blkid -c /dev/null -p -i -o export "$d"; rc=$?
[ $rc = 2 ] && exit 0
exit $rc`);
  const res: Record<string, string> = {};
  for (const l of lines(out)) {
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    const k = l.slice(0, eq);
    let v = l.slice(eq + 1);
    // Device names and major:minor as the caller sees the disks (sd, major 8).
    if (k === 'DEVNAME') v = dev;
    if (k === 'PART_ENTRY_DISK') v = sdMajorMinor(v);
    res[k] = v;
  }
  return res;
}

/** virtio-blk's "254:16" → the sd numbering libguestfs reports ("8:16"): disk n is minor n×16. */
function sdMajorMinor(mm: string): string {
  const [maj, min] = mm.split(':').map(Number);
  if (maj === 254 && min !== undefined) return `8:${min}`;
  return mm;
}

export const diskOps = {
  partTable: partitionTable,
  partInit: (b: ApplianceBackend, dev: string, parttype: string) => {
    const type = parsePartType(parttype);
    return writeTable(b, dev, (d) => initPartitionTable(d, type));
  },
  partAdd: (b: ApplianceBackend, dev: string, prlogex: string, start: number, end: number) => {
    const kind = parsePrlogex(prlogex);
    return writeTable(b, dev, (d) => addPartition(d, kind, start, end));
  },
  partDisk: (b: ApplianceBackend, dev: string, parttype: string) => {
    const type = parsePartType(parttype);
    return writeTable(b, dev, (d) => partitionWholeDisk(d, type));
  },
  /** Any in-place edit of the table (src/partition/partition-editor.ts), then the kernel re-reads it. */
  partEdit: writeTable,
  partRead: readTable,
  mkfs,
  blkid,
};
