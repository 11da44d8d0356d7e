/**
 * LUKS keys as guestfish takes them: `--key ID:key:KEY_STRING`,
 * `--key ID:file:FILENAME`, `--key ID:clevis` (ID a device name, a UUID or
 * `all`), then, for a device no selector names, a line read from standard input
 * (--keys-from-stdin) or typed at the terminal (echoed only with --echo-keys).
 */
import { readFileSync } from 'node:fs';
import { GuestkitError, codeOfError } from '../errors/index.js';

export type KeySelector =
  | { id: string; type: 'key'; key: string }
  | { id: string; type: 'file'; file: string }
  | { id: string; type: 'clevis' };

export function parseKeySelector(text: string): KeySelector {
  const fields = text.split(':');
  const bad = (what: string) => new GuestkitError('EINVAL', `selector '${text}': ${what}`);
  if (fields.length < 2 || fields[0] === '') throw bad('missing TYPE');
  const [id, type, ...rest] = fields as [string, string, ...string[]];
  switch (type) {
    case 'key':
      if (rest.length !== 1) throw bad('missing KEY_STRING, or too many fields');
      return { id, type, key: rest[0]! };
    case 'file':
      if (rest.length !== 1 || rest[0] === '') throw bad('missing FILENAME, or too many fields');
      return { id, type, file: rest[0]! };
    case 'clevis':
      if (rest.length !== 0) throw bad('too many fields');
      return { id, type };
    default:
      throw bad('invalid TYPE');
  }
}

/** Reads one key line (a passphrase ends at the newline, which is not part of it). */
export type KeyReader = (prompt: string) => Promise<string>;

export class KeyStore {
  constructor(readonly selectors: readonly KeySelector[], private readonly read: KeyReader) {}

  /**
   * The key for DEVICE (known also by UUID): the selectors naming it or `all`, in
   * order, else one read from stdin or the terminal. A clevis selector yields no
   * passphrase; the caller unlocks through clevis instead.
   */
  async keysFor(device: string, uuid?: string): Promise<Array<string | { clevis: true }>> {
    const keys: Array<string | { clevis: true }> = [];
    for (const s of this.selectors) {
      if (s.id !== device && s.id !== uuid && s.id !== 'all') continue;
      if (s.type === 'key') keys.push(s.key);
      else if (s.type === 'file') keys.push(readKeyFile(s.file));
      else keys.push({ clevis: true });
    }
    if (keys.length === 0) keys.push(await this.read(`Enter key or passphrase ("${device}"): `));
    return keys;
  }
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\n$/, '');
  } catch (e) {
    throw new GuestkitError(codeOfError(e), `could not read key from file: ${file}: ${(e as Error).message}`, { cause: e });
  }
}
