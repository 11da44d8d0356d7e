/**
 * /bin/reseed for the appliance: a 194-byte static x86-64 program that asks the
 * guest kernel to reseed its random generator (ioctl RNDRESEEDCRNG on
 * /dev/urandom) and exits 0, or 1 when the kernel refuses. VMs restored from
 * one saved state start with the same generator state; after the host's
 * random bytes are written to /dev/urandom this makes the kernel draw a new
 * key from them. ash cannot issue an ioctl, and a dynamically linked helper
 * (perl) costs ~0.2 s under TCG; this one runs in a few milliseconds.
 */

import { staticElf } from '../../util/static-elf.js';

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

/** The ELF file: header, one PT_LOAD program header covering the whole file, the code. */
export function reseedElf(): Buffer {
  return staticElf(CODE);
}
