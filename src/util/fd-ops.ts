/**
 * System calls Node has no API for, made on one of guestkit's descriptors by a
 * 344-byte helper program (helper-program.ts) that inherits it as fd 3:
 * - fallocate(2), so that a new image's data lands in blocks allocated at once
 *   instead of one delayed allocation per page (a 1 GiB qcow2 written by
 *   `guestkit copy` took ~50 ms less);
 * - setsockopt(SO_SNDBUF), so that an NBD reply larger than a unix socket's
 *   default 208 KiB buffer goes out in one write instead of in step with the
 *   client's reads;
 * - lseek(SEEK_DATA / SEEK_HOLE), a sparse file's data ranges, where filefrag
 *   (e2fsprogs, not always installed) took a 7 ms process of its own.
 *
 * The argument is "f<offset>:<length>" (fallocate, mode 0), "s<bytes>" (SO_SNDBUF) or
 * "m<offset>" (the data ranges from offset on, written to stdout as pairs of little-endian
 * 64-bit start and end offsets); the exit status is 0, 2 for a bad argument, or 128+errno.
 * _start: mov 16(%rsp),%rsi; test %rsi,%rsi; jz usage         rsi = argv[1]
 *   movzbl (%rsi),%ebx; inc %rsi; call parse; mov %rax,%r12    bl = operation, r12 = first number
 *   cmp $'s',%bl; je sockbuf; cmp $'m',%bl; je map; cmp $'f',%bl; jne usage
 *   cmpb $':',(%rsi); jne usage; inc %rsi; call parse
 *   mov %rax,%r10; mov %r12,%rdx; xor %esi,%esi; mov $3,%edi; mov $285,%eax; syscall; jmp result
 *                                                               fallocate(3, 0, offset, length)
 * sockbuf: push %r12; mov $3,%edi; mov $1,%esi; mov $7,%edx; mov %rsp,%r10; mov $4,%r8d
 *   mov $54,%eax; syscall; jmp result                           setsockopt(3, SOL_SOCKET, SO_SNDBUF, &n, 4)
 * map: sub $4096,%rsp; mov %rsp,%r13; xor %r14d,%r14d          r13 = record buffer, r14 = bytes in it
 * mnext: mov $3,%edi; mov %r12,%rsi; mov $3,%edx; mov $8,%eax; syscall
 *   test %rax,%rax; js mdone; mov %rax,%r15                     r15 = lseek(3, r12, SEEK_DATA)
 *   mov $3,%edi; mov %r15,%rsi; mov $4,%edx; mov $8,%eax; syscall
 *   test %rax,%rax; js result                                   rax = lseek(3, r15, SEEK_HOLE)
 *   mov %r15,(%r13,%r14); mov %rax,8(%r13,%r14); add $16,%r14; mov %rax,%r12
 *   cmp $4096,%r14; jne mnext; call flush; test %rax,%rax; js result; jmp mnext
 * mdone: cmp $-6,%rax; jne result; call flush                  ENXIO: no more data
 * result: test %rax,%rax; js fail; xor %edi,%edi; jmp out
 * fail: neg %eax; mov %eax,%edi; or $128,%edi; jmp out
 * usage: mov $2,%edi
 * out: mov $60,%eax; syscall                                    exit(edi)
 * parse: xor %eax,%eax                                          rax = the decimal digits at rsi
 * 1: movzbl (%rsi),%ecx; sub $'0',%ecx; cmp $9,%ecx; ja 2f
 *   imul $10,%rax,%rax; add %rcx,%rax; inc %rsi; jmp 1b
 * 2: ret
 * flush: xor %ebx,%ebx                                          write(1, r13, r14) whole; rax < 0 on error
 * 3: cmp %r14,%rbx; jae 4f; mov $1,%edi; lea (%r13,%rbx),%rsi; mov %r14,%rdx; sub %rbx,%rdx
 *   mov $1,%eax; syscall; test %rax,%rax; js 5f; add %rax,%rbx; jmp 3b
 * 4: xor %r14d,%r14d; xor %eax,%eax
 * 5: ret
 */
import type net from 'node:net';
import { helperProgram, helperProgramsRun, runHelperProgram, runHelperProgramOutput } from './helper-program.js';

const CODE = Buffer.from(
  // _start
  '488b742410' + '4885f6' + '0f84f6000000' + '0fb61e' + '48ffc6' + 'e8f7000000' + '4989c4' + '80fb73' + '7438' +
    '80fb6d' + '7456' + '80fb66' + '0f85d5000000' + '803e3a' + '0f85cc000000' + '48ffc6' + 'e8d0000000' + '4989c2' +
    '4c89e2' + '31f6' + 'bf03000000' + 'b81d010000' + '0f05' + 'e996000000' +
    // sockbuf
    '4154' + 'bf03000000' + 'be01000000' + 'ba07000000' + '4989e2' + '41b804000000' + 'b836000000' + '0f05' + 'eb73' +
    // map, mnext
    '4881ec00100000' + '4989e5' + '4531f6' +
    'bf03000000' + '4c89e6' + 'ba03000000' + 'b808000000' + '0f05' + '4885c0' + '7842' + '4989c7' + 'bf03000000' +
    '4c89fe' + 'ba04000000' + 'b808000000' + '0f05' + '4885c0' + '7831' + '4f897c3500' + '4b89443508' + '4983c610' +
    '4989c4' + '4981fe00100000' + '75b1' + 'e84d000000' + '4885c0' + '780d' + 'eba5' +
    // mdone, result, fail, usage, out
    '4883f8fa' + '7505' + 'e83b000000' +
    '4885c0' + '7804' + '31ff' + 'eb11' +
    'f7d8' + '89c7' + '81cf80000000' + 'eb05' +
    'bf02000000' +
    'b83c000000' + '0f05' +
    // parse
    '31c0' + '0fb60e' + '83e930' + '83f909' + '770c' + '486bc00a' + '4801c8' + '48ffc6' + 'ebe9' + 'c3' +
    // flush
    '31db' + '4c39f3' + '7321' + 'bf01000000' + '498d741d00' + '4c89f2' + '4829da' + 'b801000000' + '0f05' + '4885c0' +
    '780a' + '4801c3' + 'ebda' + '4531f6' + '31c0' + 'c3',
  'hex',
);

/** The helper's file, written to the cache the first time. */
const fdOps = () => helperProgram('fd-ops', CODE);

/** The errno of a helper's exit status (0: done); a bad argument is EINVAL. */
function errnoOf(status: number): number {
  if (status === 0) return 0;
  return status >= 128 ? status - 128 : 22;
}

/**
 * Allocates [offset, offset+length) of the file behind `fd` (extending it when that reaches past its
 * end). Resolves to 0 when done, else the errno (EOPNOTSUPP on file systems without fallocate, ENOSPC
 * on a full one); undefined where the helper cannot run (not Linux x86-64).
 */
export async function preallocate(fd: number, offset: number, length: number): Promise<number | undefined> {
  if (!helperProgramsRun() || length <= 0) return undefined;
  return errnoOf(await runHelperProgram(fdOps(), [`f${offset}:${length}`], fd));
}

/**
 * Asks for a send buffer of `bytes` on the socket behind `fd` (the kernel doubles it and caps it at
 * net.core.wmem_max). Resolves to 0 when done, else the errno; undefined where the helper cannot run.
 */
export async function setSendBuffer(fd: number, bytes: number): Promise<number | undefined> {
  if (!helperProgramsRun()) return undefined;
  return errnoOf(await runHelperProgram(fdOps(), [`s${bytes}`], fd));
}

/**
 * The data ranges of the file behind `fd` ([start, end) byte offsets, in order, clipped to `size`):
 * what SEEK_DATA and SEEK_HOLE report, as qemu-img asks them (a file system without them reports all
 * of it as data). Null when the helper cannot run here or fails.
 */
export async function fileDataMap(fd: number, size: number): Promise<Array<[number, number]> | null> {
  if (!helperProgramsRun()) return null;
  const { status, stdout } = await runHelperProgramOutput(fdOps(), ['m0'], fd);
  if (status !== 0 || stdout.length % 16 !== 0) return null;
  const out: Array<[number, number]> = [];
  for (let at = 0; at < stdout.length; at += 16) {
    const start = Number(stdout.readBigUInt64LE(at));
    const end = Math.min(size, Number(stdout.readBigUInt64LE(at + 8)));
    if (start < end) out.push([start, end]);
  }
  return out;
}

/** The descriptor behind a connected socket (Node keeps it on the socket's internal handle), if any. */
export function socketFd(s: net.Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
