/** xorshift32: a seeded PRNG giving numbers in [0, 1), so generated data and fuzz failures reproduce from the seed. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
