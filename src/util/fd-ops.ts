/**
 * Two system calls Node has no API for, made on one of guestkit's descriptors
 * by a 161-byte helper program (helper-program.ts) that inherits it as fd 3:
 * fallocate(2), so that a new image's data lands in blocks allocated at once
 * instead of one delayed allocation per page (a 1 GiB qcow2 written by `guestkit
 * copy` took ~50 ms less), and setsockopt(SO_SNDBUF), so that an NBD reply
 * larger than a unix socket's default 208 KiB buffer goes out in one write
 * instead of in step with the client's reads.
 *
 * The argument is "f<offset>:<length>" (fallocate, mode 0) or "s<bytes>"
 * (SO_SNDBUF); the exit status is 0, 2 for a bad argument, or 128+errno.
 *   mov 16(%rsp),%rsi; test %rsi,%rsi; jz usage            rsi = argv[1]
 *   movzbl (%rsi),%ebx; inc %rsi; call parse; mov %rax,%r12 bl = operation, r12 = first number
 *   cmp $'s',%bl; je sockbuf; cmp $'f',%bl; jne usage
 *   cmpb $':',(%rsi); jne usage; inc %rsi; call parse
 *   mov %rax,%r10; mov %r12,%rdx; xor %esi,%esi; mov $3,%edi; mov $285,%eax; syscall; jmp result
 *                                                            fallocate(3, 0, offset, length)
 * sockbuf: push %r12; mov $3,%edi; mov $1,%esi; mov $7,%edx; mov %rsp,%r10; mov $4,%r8d
 *   mov $54,%eax; syscall                                    setsockopt(3, SOL_SOCKET, SO_SNDBUF, &n, 4)
 * result: test %rax,%rax; js fail; xor %edi,%edi; jmp out
 * fail: neg %eax; mov %eax,%edi; or $128,%edi; jmp out
 * usage: mov $2,%edi
 * out: mov $60,%eax; syscall                                 exit(edi)
 * parse: xor %eax,%eax                                       rax = the decimal digits at rsi
 * 1: movzbl (%rsi),%ecx; sub $'0',%ecx; cmp $9,%ecx; ja 2f
 *   imul $10,%rax,%rax; add %rcx,%rax; inc %rsi; jmp 1b
 * 2: ret
 */
import type net from 'node:net';
import { helperProgram, helperProgramsRun, runHelperProgram } from './helper-program.js';

const CODE = Buffer.from(
  '488b742410' + '4885f6' + '7471' +
    '0fb61e' + '48ffc6' + 'e872000000' + '4989c4' +
    '80fb73' + '7428' + '80fb66' + '7559' +
    '803e3a' + '7554' + '48ffc6' + 'e858000000' +
    '4989c2' + '4c89e2' + '31f6' + 'bf03000000' + 'b81d010000' + '0f05' + 'eb21' +
    '4154' + 'bf03000000' + 'be01000000' + 'ba07000000' + '4989e2' + '41b804000000' +
    'b836000000' + '0f05' +
    '4885c0' + '7804' + '31ff' + 'eb11' +
    'f7d8' + '89c7' + '81cf80000000' + 'eb05' +
    'bf02000000' +
    'b83c000000' + '0f05' +
    '31c0' +
    '0fb60e' + '83e930' + '83f909' + '770c' +
    '486bc00a' + '4801c8' + '48ffc6' + 'ebe9' +
    'c3',
  'hex',
);

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
  return errnoOf(await runHelperProgram(helperProgram('fd-ops', CODE), [`f${offset}:${length}`], fd));
}

/**
 * Asks for a send buffer of `bytes` on the socket behind `fd` (the kernel doubles it and caps it at
 * net.core.wmem_max). Resolves to 0 when done, else the errno; undefined where the helper cannot run.
 */
export async function setSendBuffer(fd: number, bytes: number): Promise<number | undefined> {
  if (!helperProgramsRun()) return undefined;
  return errnoOf(await runHelperProgram(helperProgram('fd-ops', CODE), [`s${bytes}`], fd));
}

/** The descriptor behind a connected socket (Node keeps it on the socket's internal handle), if any. */
export function socketFd(s: net.Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
