/**
 * SHA-crypt password hashes as glibc's crypt(3) writes them: "$6$" (SHA-512)
 * and "$5$" (SHA-256), Ulrich Drepper's published algorithm ("Unix crypt using
 * SHA-256 and SHA-512"): 5000 rounds unless "rounds=N$" is given, at most 16
 * salt characters, the digest in crypt's own base-64 order.
 */
import { createHash, randomInt } from 'node:crypto';

export type ShaCryptAlgorithm = 'sha512' | 'sha256';

/** The characters crypt accepts in a salt (and uses for its base-64). */
export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

const PREFIX: Record<ShaCryptAlgorithm, string> = { sha512: '$6$', sha256: '$5$' };

/** Byte triples of the final digest, in output order (the last group is shorter). */
const ORDER: Record<ShaCryptAlgorithm, { groups: [number, number, number][]; last: number[] }> = {
  sha512: {
    groups: Array.from({ length: 21 }, (_, i) => {
      // i, i+21, i+42 rotated by one position each step, as in the reference.
      const a = i, b = i + 21, c = i + 42;
      const r = i % 3;
      return (r === 0 ? [a, b, c] : r === 1 ? [b, c, a] : [c, a, b]) as [number, number, number];
    }),
    last: [63],
  },
  sha256: {
    groups: Array.from({ length: 10 }, (_, i) => {
      const a = i, b = i + 10, c = i + 20;
      const r = i % 3;
      return (r === 0 ? [a, b, c] : r === 1 ? [c, a, b] : [b, c, a]) as [number, number, number];
    }),
    last: [31, 30],
  },
};

function hash(alg: ShaCryptAlgorithm, ...parts: Uint8Array[]): Buffer {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `bytes` repeated (and cut) to `length` bytes. */
function stretch(bytes: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += bytes.length) out.set(bytes.subarray(0, Math.min(bytes.length, length - i)), i);
  return out;
}

function b64(w: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return s;
}

function encodeDigest(alg: ShaCryptAlgorithm, c: Uint8Array): string {
  const { groups, last } = ORDER[alg];
  let s = '';
  for (const [x, y, z] of groups) s += b64((c[x]! << 16) | (c[y]! << 8) | c[z]!, 4);
  if (last.length === 1) s += b64(c[last[0]!]!, 2);
  else s += b64((c[last[0]!]! << 8) | c[last[1]!]!, 3);
  return s;
}

export interface ShaCryptOptions {
  /** Salt characters (only the first 16 count, as in glibc). Random when absent. */
  salt?: string;
  /** Rounds; written as "rounds=N$" when given (glibc clamps to 1000..999999999). */
  rounds?: number;
}

/** A random salt of `length` characters from crypt's alphabet. */
export function randomSalt(length = SALT_MAX): string {
  let s = '';
  for (let i = 0; i < length; i++) s += CRYPT_ALPHABET[randomInt(CRYPT_ALPHABET.length)];
  return s;
}

/** crypt(password, "$6$salt$") (or "$5$"): the full hash string. */
export function shaCrypt(alg: ShaCryptAlgorithm, password: string | Uint8Array, opts: ShaCryptOptions = {}): string {
  const P = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  const saltText = (opts.salt ?? randomSalt()).slice(0, SALT_MAX);
  if (/[$:\n]/.test(saltText)) throw new RangeError(`invalid salt '${saltText}': '$', ':' and newlines are not allowed`);
  const S = Buffer.from(saltText, 'utf8');
  const rounds = opts.rounds === undefined ? ROUNDS_DEFAULT : Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Math.floor(opts.rounds)));
  const size = alg === 'sha512' ? 64 : 32;

  const B = hash(alg, P, S, P);
  const a = createHash(alg).update(P).update(S).update(stretch(B, P.length));
  for (let n = P.length; n > 0; n >>>= 1) a.update(n & 1 ? B : P);
  let C: Buffer = a.digest();

  const DP = hash(alg, ...Array.from({ length: P.length }, () => P));
  const Pp = stretch(DP, P.length);
  const DS = hash(alg, ...Array.from({ length: 16 + C[0]! }, () => S));
  const Sp = stretch(DS, S.length);

  for (let i = 0; i < rounds; i++) {
    const h = createHash(alg);
    h.update(i & 1 ? Pp : C);
    if (i % 3) h.update(Sp);
    if (i % 7) h.update(Pp);
    h.update(i & 1 ? C : Pp);
    C = h.digest();
  }
  if (C.length !== size) throw new Error('unexpected digest size');
  const roundsPart = opts.rounds === undefined ? '' : `rounds=${rounds}$`;
  return `${PREFIX[alg]}${roundsPart}${saltText}$${encodeDigest(alg, C)}`;
}

/** SHA-512 crypt ("$6$..."), glibc's default for the guests customize writes. */
export function sha512Crypt(password: string | Uint8Array, opts: ShaCryptOptions = {}): string {
  return shaCrypt('sha512', password, opts);
}

/**
 * Checks a password against a "$6$" or "$5$" hash (rounds included), as
 * crypt(3) would: recomputes it with the hash's salt and compares.
 */
export function shaCryptVerify(password: string, hashed: string): boolean {
  const m = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)\$([./0-9A-Za-z]+)$/.exec(hashed);
  if (!m) return false;
  const alg: ShaCryptAlgorithm = m[1] === '6' ? 'sha512' : 'sha256';
  return shaCrypt(alg, password, { salt: m[3], rounds: m[2] === undefined ? undefined : Number(m[2]) }) === hashed;
}
