/**
 * Open-file-description (OFD) locks for Node, which cannot call fcntl. OFD
 * locks belong to the open file description, not to a process, and last until
 * the last descriptor on it is closed. So a one-shot helper that inherits
 * guestkit's descriptor of an image as its fd 3 can take them and exit: the
 * locks stay with guestkit's descriptor until guestkit closes it (or dies:
 * the kernel closes it then too). The helper is a 189-byte static x86-64
 * program (src/util/helper-program.ts); elsewhere (other CPUs, other systems) `ofdLockProblem()` says why
 * there is none.
 */
import { helperProgram, runHelperProgram } from '../util/helper-program.js';

/**
 * Each argument is one operation on one byte of fd 3: "c<byte>" asks whether
 * another description holds a lock an exclusive lock would conflict with
 * (F_OFD_GETLK, F_WRLCK), "l<byte>" takes a shared lock (F_OFD_SETLK, F_RDLCK),
 * "u<byte>" drops it (F_OFD_SETLK, F_UNLCK). The operations run in order; the
 * exit status is 0 when all were done, N when the Nth argument is a "c" that
 * found a lock (nothing after it is done), 128+errno when fcntl failed.
 *
 * The code (entry at 0x400078), with the flock structure at %rsp:
 *   lea 16(%rsp),%r12; sub $32,%rsp; mov $1,%r13d           r12 = &argv[1], r13 = its number
 * next: mov (%r12),%rsi; test %rsi,%rsi; jz ok
 *   movzbl (%rsi),%eax; inc %rsi; xor %edx,%edx             al = operation
 * digit: movzbl (%rsi),%ecx; test %ecx,%ecx; jz parsed
 *   sub $'0',%ecx; imul $10,%rdx,%rdx; add %rcx,%rdx; inc %rsi; jmp digit
 * parsed: mov %rdx,8(%rsp); movq $1,16(%rsp); movq $0,24(%rsp); movq $0,(%rsp)   l_start, l_len 1, l_pid 0, F_RDLCK, SEEK_SET
 *   mov $37,%esi; cmp $'u',%al; jne 1f; movb $2,(%rsp)       F_OFD_SETLK; "u": F_UNLCK
 * 1: cmp $'c',%al; jne call; movb $1,(%rsp); mov $36,%esi   "c": F_WRLCK, F_OFD_GETLK
 * call: mov %esi,%r14d; mov $3,%edi; mov %rsp,%rdx; mov $72,%eax; syscall   fcntl(3, cmd, &flock)
 *   test %rax,%rax; js fail
 *   cmp $36,%r14d; jne advance; cmpw $2,(%rsp); jne conflict                 a GETLK that found no F_UNLCK
 * advance: add $8,%r12; inc %r13d; jmp next
 * ok: xor %edi,%edi; jmp out
 * conflict: mov %r13d,%edi; jmp out
 * fail: neg %eax; mov %eax,%edi; or $128,%edi
 * out: mov $60,%eax; syscall                                                  exit(edi)
 */
const CODE = Buffer.from(
  '4c8d642410' + '4883ec20' + '41bd01000000' +
    '498b3424' + '4885f6' + '0f8487000000' +
    '0fb606' + '48ffc6' + '31d2' +
    '0fb60e' + '85c9' + '740f' +
    '83e930' + '486bd20a' + '4801ca' + '48ffc6' + 'ebea' +
    '4889542408' + '48c744241001000000' + '48c744241800000000' + '48c7042400000000' +
    'be25000000' + '3c75' + '7504' + 'c6042402' +
    '3c63' + '7509' + 'c6042401' + 'be24000000' +
    '4189f6' + 'bf03000000' + '4889e2' + 'b848000000' + '0f05' +
    '4885c0' + '7822' +
    '4183fe24' + '7507' + '66833c2402' + '7510' +
    '4983c408' + '41ffc5' + 'e96cffffff' +
    '31ff' + 'eb0f' +
    '4489ef' + 'eb0a' +
    'f7d8' + '89c7' + '81cf80000000' +
    'b83c000000' + '0f05',
  'hex',
);

export type OfdOp = { op: 'check' | 'lock' | 'unlock'; byte: number };

export type OfdResult = { kind: 'done' } | { kind: 'conflict'; byte: number } | { kind: 'error'; errno: number };

/** Why OFD locks cannot be taken here, or undefined when they can. */
export function ofdLockProblem(): string | undefined {
  if (process.platform !== 'linux') return `OFD locks are taken on Linux only (this is ${process.platform})`;
  if (process.arch !== 'x64') return `the OFD lock helper is an x86-64 program (this is ${process.arch})`;
  return undefined;
}

const LETTER = { check: 'c', lock: 'l', unlock: 'u' } as const;

/** Runs `ops` on the open description behind `fd` (which stays open in guestkit). */
export async function runOfdOps(fd: number, ops: OfdOp[]): Promise<OfdResult> {
  const args = ops.map((o) => `${LETTER[o.op]}${o.byte}`);
  const status = await runHelperProgram(helperProgram('ofd-lock', CODE), args, fd);
  if (status === 0) return { kind: 'done' };
  if (status < 128 && status <= ops.length) return { kind: 'conflict', byte: ops[status - 1]!.byte };
  return { kind: 'error', errno: status - 128 };
}
