/**
 * An ext2/3/4 filesystem's block size and block allocation bitmap, read from the
 * superblock and group descriptors through a byte reader (pread-device), so either
 * backend can answer download-blocks without mounting. A group whose bitmap was
 * never written (BLOCK_UNINIT) has only its metadata in use; its blocks count as
 * unallocated here.
 */
export type ReadBytes = (offset: number, length: number) => Promise<Uint8Array>;

export interface ExtBlockMap {
  blockSize: number;
  blocksCount: number;
  isAllocated(block: number): Promise<boolean>;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The block map, or undefined when the bytes hold no ext2/3/4 superblock. */
export async function readExtBlockMap(read: ReadBytes): Promise<ExtBlockMap | undefined> {
  const sb = view(await read(1024, 1024));
  if (sb.byteLength < 1024 || sb.getUint16(56, true) !== 0xef53) return undefined;
  const blockSize = 1024 << sb.getUint32(24, true);
  const is64 = (sb.getUint32(96, true) & 0x80) !== 0;
  const blocksCount = sb.getUint32(4, true) + (is64 ? sb.getUint32(0x150, true) * 2 ** 32 : 0);
  const firstDataBlock = sb.getUint32(20, true);
  const blocksPerGroup = sb.getUint32(32, true);
  const descSize = is64 ? sb.getUint16(254, true) : 32;
  const gdt = (firstDataBlock + 1) * blockSize;
  const groups = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  const inodesPerGroup = sb.getUint32(40, true);
  const inodeSize = sb.getUint32(76, true) >= 1 ? sb.getUint16(88, true) : 128;
  const sparseSuper = (sb.getUint32(100, true) & 0x1) !== 0;
  // A superblock backup, then the descriptor blocks and the blocks reserved for their growth.
  const superOverhead = 1 + Math.ceil((groups * descSize) / blockSize) + sb.getUint16(0xce, true);
  const isPower = (n: number, b: number) => { while (n > 1 && n % b === 0) n /= b; return n === 1; };
  const hasSuper = (g: number) => g <= 1 || !sparseSuper || isPower(g, 3) || isPower(g, 5) || isPower(g, 7);
  const hi = (d: DataView, o: number) => (descSize >= 64 ? d.getUint32(o, true) * 2 ** 32 : 0);
  type Group = { bits: Uint8Array } | { uninit: (rel: number, block: number) => boolean };
  const cache = new Map<number, Group>();
  async function group(g: number): Promise<Group> {
    let e = cache.get(g);
    if (!e) {
      const d = view(await read(gdt + g * descSize, descSize));
      const blockBitmap = d.getUint32(0, true) + hi(d, 0x20);
      if ((d.getUint16(18, true) & 0x2) === 0) e = { bits: await read(blockBitmap * blockSize, blockSize) };
      else {
        const inodeBitmap = d.getUint32(4, true) + hi(d, 0x24);
        const table = d.getUint32(8, true) + hi(d, 0x28);
        const tableBlocks = Math.ceil((inodesPerGroup * inodeSize) / blockSize);
        e = { uninit: (rel, block) => (hasSuper(g) && rel < superOverhead) || block === blockBitmap || block === inodeBitmap || (block >= table && block < table + tableBlocks) };
      }
      cache.set(g, e);
    }
    return e;
  }
  return {
    blockSize,
    blocksCount,
    async isAllocated(block) {
      if (block < firstDataBlock) return true;
      const rel = block - firstDataBlock;
      const g = await group(Math.floor(rel / blocksPerGroup));
      const i = rel % blocksPerGroup;
      return 'bits' in g ? (g.bits[i >> 3]! & (1 << (i & 7))) !== 0 : g.uninit(i, block);
    },
  };
}
