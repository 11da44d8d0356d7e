/**
 * Passwords, set together after the other operations as virt-customize does:
 * the second field of each named user's /etc/shadow line becomes a SHA-512
 * (or --password-crypto sha256) crypt hash, "*" for disabled, with "!!" in
 * front for locked. The file is rewritten in place, so its mode, owner and
 * other attributes stay.
 */
import { randomInt } from 'node:crypto';
import { ErrnoError } from '../errors/index.js';
import type { CustomizeContext } from './context.js';
import type { PasswordSelector } from './password-selector.js';
import { shaCrypt, type ShaCryptAlgorithm } from './sha-crypt.js';

/** virt-customize's random password alphabet: [A-Za-z0-9] without the look-alikes O, l. */
const RANDOM_CHARS = 'ABCDEFGHIJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789';

export function randomPassword(length = 16): string {
  let s = '';
  for (let i = 0; i < length; i++) s += RANDOM_CHARS[randomInt(RANDOM_CHARS.length)];
  return s;
}

/** The shadow password field for a selector; `onRandom` learns a generated password. */
export function passwordField(sel: PasswordSelector, alg: ShaCryptAlgorithm, onRandom: (pw: string) => void): string {
  const lock = sel.locked ? '!!' : '';
  switch (sel.value.kind) {
    case 'password':
      return lock + shaCrypt(alg, sel.value.password);
    case 'random': {
      const pw = randomPassword();
      onRandom(pw);
      return lock + shaCrypt(alg, pw);
    }
    case 'disabled':
      return `${lock}*`;
  }
}

/** Rewrites /etc/shadow with the new password fields; every user must have a line. */
export async function setLinuxPasswords(ctx: CustomizeContext, passwords: Map<string, PasswordSelector>, alg: ShaCryptAlgorithm): Promise<void> {
  const { g } = ctx;
  const SHADOW = '/etc/shadow';
  if (!(await g.isFile(SHADOW, { followsymlinks: true }))) throw new ErrnoError('ENOENT', `${SHADOW}: No such file or directory: cannot set passwords`);
  const text = Buffer.from(await g.readFile(SHADOW)).toString('utf8');
  const lines = text.split('\n');
  const seen = new Set<string>();
  const out = lines.map((line) => {
    const fields = line.split(':');
    const sel = fields.length >= 2 ? passwords.get(fields[0]!) : undefined;
    if (!sel) return line;
    seen.add(fields[0]!);
    fields[1] = passwordField(sel, alg, (pw) => ctx.info(`Setting random password of ${fields[0]} to ${pw}`));
    return fields.join(':');
  });
  const missing = [...passwords.keys()].filter((u) => !seen.has(u));
  if (missing.length) throw new ErrnoError('ENOENT', `user${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in the guest's ${SHADOW}: cannot set the password`);
  await g.write(SHADOW, out.join('\n'));
}
