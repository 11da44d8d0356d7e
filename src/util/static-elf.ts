/**
 * The smallest static x86-64 Linux executable around a piece of machine code:
 * an ELF header, one PT_LOAD program header mapping the whole file read+execute
 * at 0x400000, then the code, entered at its first byte. guestkit hand-assembles
 * the few system calls Node cannot make (an ioctl in the appliance guest, OFD
 * locks on the host) instead of needing a compiler.
 */
const BASE = 0x400000;
const EHDR = 64;
const PHDR = 56;

export function staticElf(code: Buffer): Buffer {
  const size = EHDR + PHDR + code.length;
  const b = Buffer.alloc(size);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(b, 0); // ELF64, little-endian, SysV
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(0x3e, 18); // x86-64
  b.writeUInt32LE(1, 20); // EV_CURRENT
  b.writeBigUInt64LE(BigInt(BASE + EHDR + PHDR), 24); // entry
  b.writeBigUInt64LE(BigInt(EHDR), 32); // program headers
  b.writeUInt16LE(EHDR, 52);
  b.writeUInt16LE(PHDR, 54);
  b.writeUInt16LE(1, 56); // one program header
  b.writeUInt16LE(64, 58); // section header entry size (no sections)
  const ph = EHDR;
  b.writeUInt32LE(1, ph); // PT_LOAD
  b.writeUInt32LE(5, ph + 4); // R+X
  b.writeBigUInt64LE(0n, ph + 8); // file offset
  b.writeBigUInt64LE(BigInt(BASE), ph + 16); // vaddr
  b.writeBigUInt64LE(BigInt(BASE), ph + 24); // paddr
  b.writeBigUInt64LE(BigInt(size), ph + 32); // file size
  b.writeBigUInt64LE(BigInt(size), ph + 40); // memory size
  b.writeBigUInt64LE(0x1000n, ph + 48); // alignment
  code.copy(b, EHDR + PHDR);
  return b;
}
