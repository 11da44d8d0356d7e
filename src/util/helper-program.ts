/**
 * guestkit's tiny hand-assembled helper programs (static x86-64 executables
 * from staticElf): each makes a system call Node cannot make on a descriptor
 * it inherits from guestkit as its fd 3, and exits with 0 or 128+errno. They
 * are written once to guestkit's cache (mode 0700, named by a CRC of their
 * bytes) and run with child_process.spawn.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { guestkitCacheDir } from './cache-dir.js';
import { cksumCrc } from './cksum.js';
import { staticElf } from './static-elf.js';

/** Whether the helpers run here: they are Linux x86-64 programs. */
export function helperProgramsRun(): boolean {
  return process.platform === 'linux' && process.arch === 'x64';
}

const written = new Map<string, string>();

/** The file of helper `name` (machine code `code`) in the cache, written (atomically, 0700) the first time. */
export function helperProgram(name: string, code: Buffer): string {
  const known = written.get(name);
  if (known) return known;
  const elf = staticElf(code);
  // The name tells versions apart (the content is compared below); a CRC spares loading node:crypto (8 ms) on every run.
  const crc = cksumCrc();
  crc.update(elf);
  const dir = guestkitCacheDir('helpers');
  const file = path.join(dir, `${name}-${crc.digest().toString(16).padStart(8, '0')}`);
  if (!fs.existsSync(file) || !fs.readFileSync(file).equals(elf)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, elf, { mode: 0o700 });
    fs.renameSync(tmp, file);
  }
  written.set(name, file);
  return file;
}

/** Runs `program` with `args` and guestkit's descriptor `fd` as its fd 3; resolves to its exit status. */
export async function runHelperProgram(program: string, args: string[], fd: number): Promise<number> {
  return (await runHelper(program, args, fd, false)).status;
}

/** runHelperProgram, also collecting what the program writes to its standard output. */
export function runHelperProgramOutput(program: string, args: string[], fd: number): Promise<{ status: number; stdout: Buffer }> {
  return runHelper(program, args, fd, true);
}

function runHelper(program: string, args: string[], fd: number, output: boolean): Promise<{ status: number; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', output ? 'pipe' : 'ignore', 'ignore', fd] });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    // 'close' comes once the exit status is known and standard output (when piped) has ended.
    child.once('close', (status, signal) => {
      if (status === null) reject(new Error(`${path.basename(program)} was killed by ${signal}`));
      else resolve({ status, stdout: Buffer.concat(chunks) });
    });
  });
}
