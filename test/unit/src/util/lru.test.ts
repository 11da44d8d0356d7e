/**
 * src/util/lru.ts: the least recently used entry goes first; get() makes an
 * entry the most recent, peek() and has() leave the order alone.
 */
import { describe, expect, it } from 'vitest';
import { Lru } from '../../../../src/util/lru.js';

const keys = (l: Lru<string, number>) => [...l.entries()].map(([k]) => k);

describe('Lru', () => {
  it('drops the least recently used entry when full; get() refreshes, peek() does not', () => {
    const l = new Lru<string, number>(3);
    l.set('a', 1);
    l.set('b', 2);
    l.set('c', 3);
    expect(l.get('a')).toBe(1);
    expect(l.peek('b')).toBe(2);
    expect(l.has('b')).toBe(true);
    expect(keys(l)).toEqual(['b', 'c', 'a']);
    l.set('d', 4);
    expect(keys(l)).toEqual(['c', 'a', 'd']);
    expect(l.has('b')).toBe(false);
    expect(l.size).toBe(3);
  });

  it('set() of a present key replaces it as the most recent; delete() removes it', () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1);
    l.set('b', 2);
    l.set('a', 10);
    expect(keys(l)).toEqual(['b', 'a']);
    expect(l.delete('b')).toBe(true);
    expect(l.delete('b')).toBe(false);
    expect(l.peek('a')).toBe(10);
    expect(l.size).toBe(1);
  });
});
