/**
 * Where fish gets the value of a Key argument (a LUKS passphrase): guestfish never
 * takes keys as words on the command line, so they stay out of scripts and process
 * lists. It reads one line from standard input (--keys-from-stdin), or asks on the
 * terminal with echo off.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/** One line read from a file descriptor, a byte at a time (nothing past the newline is consumed). */
export function readLineSync(fd: number): string | undefined {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, one, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0) return bytes.length ? Buffer.from(bytes).toString('utf8') : undefined;
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    bytes.push(one[0]!);
  }
}

export type KeyReader = (argName: string) => string;

export function stdinKeyReader(): KeyReader {
  return (name) => {
    const line = readLineSync(0);
    if (line === undefined) throw new UsageError(`error: ${name}: no key on standard input\n`);
    return line;
  };
}

/** Asks on /dev/tty, as guestfish does: 'Enter key or passphrase ("key"): ' with the typed text hidden. */
export function terminalKeyReader(): KeyReader {
  return (name) => {
    let fd: number;
    try {
      fd = openSync('/dev/tty', 'r+');
    } catch {
      throw new UsageError(`error: ${name}: no terminal to ask for the key on: use --keys-from-stdin\n`);
    }
    try {
      writeSync(fd, `Enter key or passphrase ("${name}"): `);
      spawnSync('stty', ['-echo'], { stdio: [fd, 'ignore', 'ignore'] });
      try {
        return readLineSync(fd) ?? '';
      } finally {
        spawnSync('stty', ['echo'], { stdio: [fd, 'ignore', 'ignore'] });
        writeSync(fd, '\n');
      }
    } finally {
      closeSync(fd);
    }
  };
}
