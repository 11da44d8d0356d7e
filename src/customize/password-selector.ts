/**
 * --root-password / --password USER:SELECTOR, as virt-customize reads them:
 * password:PASSWORD, file:FILENAME (its first line), random, disabled, and
 * locked:/lock: in front of any of them (locked alone = locked and disabled).
 */
import fs from 'node:fs';
import { ErrnoError } from '../errors/index.js';

export type PasswordValue = { kind: 'password'; password: string } | { kind: 'random' } | { kind: 'disabled' };

export interface PasswordSelector {
  value: PasswordValue;
  locked: boolean;
}

function firstLine(option: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ErrnoError('EINVAL', `${option}: cannot read the password file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const line = text.split('\n')[0]!.replace(/\r$/, '');
  if (line === '' && text.length === 0) throw new ErrnoError('EINVAL', `${option}: the password file ${file} is empty`);
  return line;
}

/** Parses SELECTOR; `option` names the option in messages. */
export function parsePasswordSelector(option: string, arg: string): PasswordSelector {
  const parts = arg.split(':');
  const invalid = () => new ErrnoError('EINVAL', `${option}: invalid password selector '${arg}' (expected password:PASS, file:FILENAME, random, disabled or locked:...)`);
  const parse = (p: string[]): PasswordSelector => {
    const [head, ...rest] = p;
    if (head === 'lock' || head === 'locked') {
      if (rest.length === 0) return { value: { kind: 'disabled' }, locked: true };
      return { ...parse(rest), locked: true };
    }
    if (head === 'file' && rest.length === 1) return { value: { kind: 'password', password: firstLine(option, rest[0]!) }, locked: false };
    if (head === 'password' && rest.length >= 1) return { value: { kind: 'password', password: rest.join(':') }, locked: false };
    if (head === 'random' && rest.length === 0) return { value: { kind: 'random' }, locked: false };
    if ((head === 'disable' || head === 'disabled') && rest.length === 0) return { value: { kind: 'disabled' }, locked: false };
    throw invalid();
  };
  return parse(parts);
}
