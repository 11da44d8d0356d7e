/** Block devices on the appliance: blockdev(8) queries and settings, whole-device zeroing and tests, wipefs. */
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { devScript } from './ops-common.js';

async function blockdev(b: ApplianceBackend, dev: string, flag: string, value?: number): Promise<string> {
  const out = await b.shText(`${devScript(dev)}\nblockdev ${flag}${value === undefined ? '' : ` ${Math.trunc(value)}`} "$d"`);
  return out.trim();
}

const num = async (p: Promise<string>) => Number(await p);

/** True when every byte of the device is zero (tr drops the zero bytes; anything left is data). */
async function isZeroDevice(b: ApplianceBackend, dev: string): Promise<boolean> {
  const out = await b.shText(`${devScript(dev)}\ntr -d '\\000' < "$d" | head -c 1 | wc -c`, { timeoutMs: 3_600_000 });
  return out.trim() === '0';
}

/** Writes zeros over `length` bytes from the start of the device (all of it when undefined). */
/** zero refuses a mounted device; zero-device does not (libguestfs's zero_device test zeroes a mounted LV). */
async function zeroDevice(b: ApplianceBackend, dev: string, length?: number): Promise<void> {
  const count = length === undefined ? '' : ` count=${length} iflag=count_bytes`;
  await b.sh(`${devScript(dev)}
${length === undefined ? '' : `grep -q "^$d " /proc/mounts && die EBUSY ${sq(`${dev}: Device or resource busy (mounted)`)}`}
dd if=/dev/zero of="$d" bs=1048576${count} conv=notrunc 2>/tmp/.dderr
# dd stops with ENOSPC at the end of the device: that is the end of the job.
grep -q 'No space left' /tmp/.dderr || [ -z "$(grep -v records /tmp/.dderr)" ] || { cat /tmp/.dderr >&2; exit 1; }
sync; blockdev --flushbufs "$d"`, { timeoutMs: 3_600_000 });
}

async function pwriteDevice(b: ApplianceBackend, dev: string, content: Uint8Array, offset: number): Promise<number> {
  if (!content.length) return 0;
  const out = await b.shText(`${devScript(dev)}
size=$(blockdev --getsize64 "$d")
[ ${Math.trunc(offset)} -lt "$size" ] || die EINVAL ${sq(`${dev}: offset is past the end of the device`)}
left=$((size - ${Math.trunc(offset)}))
n=${content.length}; [ $n -gt $left ] && n=$left
head -c $n | dd of="$d" bs=65536 oflag=seek_bytes seek=${Math.trunc(offset)} conv=notrunc 2>/dev/null || exit 1
echo $n`, { stdin: content });
  return Number(out.trim());
}

export const blockdevOps = {
  blockdevGetss: (b: ApplianceBackend, dev: string) => num(blockdev(b, dev, '--getss')),
  blockdevGetbsz: (b: ApplianceBackend, dev: string) => num(blockdev(b, dev, '--getbsz')),
  blockdevGetsz: (b: ApplianceBackend, dev: string) => num(blockdev(b, dev, '--getsz')),
  blockdevGetro: async (b: ApplianceBackend, dev: string) => (await blockdev(b, dev, '--getro')) === '1',
  blockdevSetro: async (b: ApplianceBackend, dev: string) => void (await blockdev(b, dev, '--setro')),
  blockdevSetrw: async (b: ApplianceBackend, dev: string) => void (await blockdev(b, dev, '--setrw')),
  blockdevFlushbufs: async (b: ApplianceBackend, dev: string) => void (await blockdev(b, dev, '--flushbufs')),
  blockdevSetra: async (b: ApplianceBackend, dev: string, sectors: number) => void (await blockdev(b, dev, '--setra', sectors)),
  blockdevRereadpt: async (b: ApplianceBackend, dev: string) => void (await blockdev(b, dev, '--rereadpt')),
  /** Checks the device exists; the block size setting itself is gone from Linux (as libguestfs documents). */
  blockdevSetbsz: async (b: ApplianceBackend, dev: string) => void (await blockdev(b, dev, '--getbsz')),
  isZeroDevice,
  zeroDevice: (b: ApplianceBackend, dev: string) => zeroDevice(b, dev),
  zero: (b: ApplianceBackend, dev: string) => zeroDevice(b, dev, 32 * 4096),
  pwriteDevice,
  wipefs: async (b: ApplianceBackend, dev: string) => {
    await b.sh(`${devScript(dev)}
[ -x /usr/sbin/wipefs ] || die ENOTSUP 'wipefs: wipefs is not in the appliance'
/usr/sbin/wipefs -a --force "$d" >/dev/null`);
  },
  blkdiscard: async (b: ApplianceBackend, dev: string) => {
    await b.sh(`${devScript(dev)}\nblkdiscard "$d"`);
  },
  blkdiscardzeroes: async (b: ApplianceBackend, dev: string) => {
    const out = await b.shText(`${devScript(dev)}
n=$(basename "$(readlink -f "$d")")
f=/sys/class/block/$n/queue/discard_zeroes_data
[ -e "$f" ] || f=/sys/class/block/$n/../queue/discard_zeroes_data
cat "$f" 2>/dev/null || echo 0`);
    return out.trim() === '1';
  },
};
