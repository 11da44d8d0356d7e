import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomSalt, sha512Crypt, shaCrypt, shaCryptVerify } from '../../../../src/customize/sha-crypt.js';

const openssl = (alg: '5' | '6', salt: string, pw: string) => execFileSync('openssl', ['passwd', `-${alg}`, '-salt', salt, pw], { encoding: 'utf8' }).trim();

describe('SHA-crypt', () => {
  it("matches Drepper's test vectors (as openssl passwd computes them), rounds clamped to 1000", () => {
    expect(shaCrypt('sha512', 'Hello world!', { salt: 'saltstring' })).toBe('$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
    expect(shaCrypt('sha512', 'Hello world!', { salt: 'saltstringsaltstring', rounds: 10000 })).toBe('$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.');
    expect(shaCrypt('sha256', 'Hello world!', { salt: 'saltstring' })).toBe('$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
    expect(shaCrypt('sha512', 'we have a short salt string but not a short password', { salt: 'roundstoolow', rounds: 10 }))
      .toBe('$6$rounds=1000$roundstoolow$yjTuW7RnC.d35QcVTFIb6uvh/7IQ1.GFtFN3i/.jwmeWEhzjf4uD/OPCb4jRl6atJGYhLst8IyR6YAtTrriMU1');
  });

  it('agrees with the host (openssl passwd) on random salts and passwords, long and short', () => {
    const passwords = ['', 'a', 'hunter2', 'pass:with:colons', 'ünïcødé', 'x'.repeat(200)];
    for (const pw of passwords) {
      const salt = randomSalt();
      expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/);
      const h = sha512Crypt(pw, { salt });
      if (pw !== '') expect(h).toBe(openssl('6', salt, pw));
      expect(shaCrypt('sha256', pw, { salt })).toBe(pw === '' ? shaCrypt('sha256', '', { salt }) : openssl('5', salt, pw));
      expect(shaCryptVerify(pw, h)).toBe(true);
      expect(shaCryptVerify(`${pw}x`, h)).toBe(false);
    }
  });

  it('python crypt (glibc/libxcrypt) accepts our hashes', () => {
    const h = sha512Crypt('s3cret');
    let out: string;
    try {
      out = execFileSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])', 's3cret', h], { encoding: 'utf8' }).trim();
    } catch {
      return; // no python3 crypt module here: openssl above is the reference
    }
    expect(out).toBe('True');
  });
});
