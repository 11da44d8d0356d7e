/** byteOrder sorts as the UTF-8 bytes do (strcmp in the C locale), surrogate pairs and lone surrogates included. */
import { describe, expect, it } from 'vitest';
import { byteOrder } from '../../../../src/util/byte-order.js';

const bytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('byteOrder', () => {
  it('agrees with comparing the UTF-8 bytes', () => {
    const alphabet = ['a', 'B', 'z', '.', '~', 'é', 'ß', '\u00ff', '\u0100', '\ud7ff', '\ue000', '\uffff', '😀', '𝄞', '\ud800', '\udc00', ''];
    let seed = 7;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return alphabet[seed % alphabet.length]!;
    };
    const words: string[] = [];
    for (let i = 0; i < 400; i++) words.push(Array.from({ length: 1 + (i % 5) }, pick).join(''));
    for (const a of words) for (const b of words.slice(0, 60)) expect(Math.sign(byteOrder(a, b))).toBe(bytes(a, b));
  });

  it('sorts astral characters after the rest of the BMP, as UTF-8 does', () => {
    expect(['😀', '\uffff', 'a'].sort(byteOrder)).toEqual(['a', '\uffff', '😀']);
  });
});
