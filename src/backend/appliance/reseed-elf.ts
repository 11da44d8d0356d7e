/**
 * /bin/reseed for the appliance: a 194-byte static x86-64 program that asks the
 * guest kernel to reseed its random generator (ioctl RNDRESEEDCRNG on
 * /dev/urandom) and exits 0, or 1 when the kernel refuses. VMs restored from
 * one saved state start with the same generator state; after the host's
 * random bytes are written to /dev/urandom this makes the kernel draw a new
 * key from them. ash cannot issue an ioctl, and a dynamically linked helper
 * (perl) costs ~0.2 s under TCG; this one runs in a few milliseconds.
 */

/**
 * The code, at the load address 0x400078 (right after the two headers):
 *   mov $2,%eax; lea path(%rip),%rdi; mov $1,%esi; xor %edx,%edx; syscall   open(path, O_WRONLY)
 *   test %eax,%eax; js fail
 *   mov %eax,%edi; mov $16,%eax; mov $0x5207,%esi; xor %edx,%edx; syscall   ioctl(fd, RNDRESEEDCRNG, 0)
 *   test %eax,%eax; js fail
 *   xor %edi,%edi; jmp out
 * fail: mov $1,%edi
 * out:  mov $60,%eax; syscall                                                exit(edi)
 * path: "/dev/urandom\0"
 */
const CODE = Buffer.concat([
  Buffer.from(
    'b802000000' + '488d3d31000000' + 'be01000000' + '31d2' + '0f05' + '85c0' + '7818' +
      '89c7' + 'b810000000' + 'be07520000' + '31d2' + '0f05' + '85c0' + '7804' +
      '31ff' + 'eb05' + 'bf01000000' + 'b83c000000' + '0f05',
    'hex',
  ),
  Buffer.from('/dev/urandom\0', 'latin1'),
]);

const BASE = 0x400000;
const EHDR = 64;
const PHDR = 56;

/** The ELF file: header, one PT_LOAD program header covering the whole file, the code. */
export function reseedElf(): Buffer {
  const size = EHDR + PHDR + CODE.length;
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
  CODE.copy(b, EHDR + PHDR);
  return b;
}
