/** SUSP / Rock Ridge entries built by hand: what genisoimage does not write (long-form TF, SL spread over entries, CE chains). */
import { describe, expect, it } from 'vitest';
import { FsError } from '../../../../../src/fs/fs-driver.js';
import { parseRockRidge, suspSkip } from '../../../../../src/fs/iso9660/rock-ridge.js';

const both32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24, v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255];
const entry = (sig: string, body: number[]) => [sig.charCodeAt(0), sig.charCodeAt(1), 4 + body.length, 1, ...body];
const bytes = (s: string) => [...Buffer.from(s, 'latin1')];
const area = (...entries: number[][]) => new Uint8Array(entries.flat());
const noRead = () => {
  throw new Error('no continuation expected');
};

describe('Rock Ridge entries', () => {
  it('SL: root, parent and current components, a component continued, and a path continued in a second SL entry', () => {
    // "/usr/../lib" then "./a" + "bc" (continued component), in two SL entries (the first flagged to continue)
    const sl1 = entry('SL', [1, 8, 0, 0, 3, ...bytes('usr'), 4, 0, 0, 3, ...bytes('lib')]);
    const sl2 = entry('SL', [0, 2, 0, 1, 1, ...bytes('a'), 0, 2, ...bytes('bc')]);
    const rr = parseRockRidge(area(sl1, sl2), 0, noRead, 2048);
    expect(rr.symlink).toBe('/usr/../lib/./abc');
  });

  it('NM: pieces joined while CONTINUE is set; "." and ".." entries ignored', () => {
    const rr = parseRockRidge(area(entry('NM', [1, ...bytes('long-')]), entry('NM', [0, ...bytes('name')]), entry('NM', [2])), 0, noRead, 2048);
    expect(Buffer.from(rr.name!).toString()).toBe('long-name');
  });

  it('TF: short and long (17-byte) forms, creation taken as ctime unless an attribute-change stamp follows', () => {
    const short = [121, 3, 4, 5, 6, 7, 4]; // 2021-03-04 05:06:07 at GMT+1 (4 quarter hours)
    const long = [...bytes('2022010203040550'), 0];
    const a = parseRockRidge(area(entry('TF', [0x01 | 0x02, ...short, ...short])), 0, noRead, 2048);
    const t = Date.UTC(2021, 2, 4, 4, 6, 7) / 1000;
    expect([a.ctime, a.mtime, a.atime]).toEqual([{ sec: t, nsec: 0 }, { sec: t, nsec: 0 }, undefined]);
    const b = parseRockRidge(area(entry('TF', [0x80 | 0x01 | 0x04 | 0x08, ...long, ...long, ...bytes('2023010203040500'), 0])), 0, noRead, 2048);
    expect(b.atime).toEqual({ sec: Date.UTC(2022, 0, 2, 3, 4, 5) / 1000, nsec: 500_000_000 });
    expect(b.ctime).toEqual({ sec: Date.UTC(2023, 0, 2, 3, 4, 5) / 1000, nsec: 0 });
  });

  it('PX, PN, CL, RE; entries continued in a CE area; a CE chain that loops is EUCLEAN', () => {
    const px = entry('PX', [...both32(0o100644), ...both32(3), ...both32(1000), ...both32(100)]);
    const ce = (block: number, off: number, len: number) => entry('CE', [...both32(block), ...both32(off), ...both32(len)]);
    const continued = area(px, entry('RE', []));
    const rr = parseRockRidge(area(ce(10, 4, continued.length)), 0, (o, n) => {
      expect([o, n]).toEqual([10 * 2048 + 4, continued.length]);
      return continued;
    }, 2048);
    expect([rr.mode, rr.nlink, rr.uid, rr.gid, rr.relocated]).toEqual([0o100644, 3, 1000, 100, true]);
    const self = area(ce(10, 0, 28));
    const e = (() => {
      try {
        parseRockRidge(self, 0, () => self, 2048);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(FsError);
    expect((e as FsError).errno).toBe('EUCLEAN');
  });

  it('SP: the skip length when the root carries it, -1 otherwise', () => {
    expect(suspSkip(area(entry('SP', [0xbe, 0xef, 0])))).toBe(0);
    expect(suspSkip(area(entry('SP', [0xbe, 0xee, 0])))).toBe(-1);
    expect(suspSkip(new Uint8Array(0))).toBe(-1);
  });
});
