import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { murmur3, saltSeed, bucketOf, rolloutThreshold, inRollout, BUCKETS } from '../src/bucket.js';
import { readFileSync } from 'node:fs';

interface BucketVector {
  salt: string;
  key: string;
  bucket: number;
}

const vectors = JSON.parse(
  readFileSync(new URL('../test-vectors/bucketing.json', import.meta.url), 'utf8'),
) as BucketVector[];

/** Textbook MurmurHash3 x86_32 over a byte array: the reference the string version must equal. */
function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h ^= mix(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (bytes.length & 3) {
    case 3:
      k ^= bytes[blocks + 2]! << 16;
    // falls through
    case 2:
      k ^= bytes[blocks + 1]! << 8;
    // falls through
    case 1:
      k ^= bytes[blocks]!;
      h ^= mix(k);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const utf8 = new TextEncoder();

/** Share (0..1) of `user-0..user-{n-1}` inside a rollout of `percent` under `seed`. */
function share(seed: number, percent: number, n = 100_000): number {
  let inside = 0;
  for (let i = 0; i < n; i++) if (inRollout(seed, `user-${i}`, percent)) inside++;
  return inside / n;
}

describe('murmur3', () => {
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('hashes %j with seed %d to the published value', (str, seed, expected) => {
    expect(murmur3(str, seed)).toBe(expected);
    expect(murmur3Bytes(utf8.encode(str), seed)).toBe(expected);
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        const h = murmur3(s, seed);
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
      }),
    );
  });

  it('hashes a string exactly as it hashes the TextEncoder bytes of that string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        expect(murmur3(s, seed)).toBe(murmur3Bytes(utf8.encode(s), seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes lone and paired surrogates as TextEncoder does, at every alignment', () => {
    const pieces = ['a', 'é', '€', '😀', '\ud800', '\udc00', '\udbff\udfff', '\udc00\ud800', 'x\ud83d'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const s = parts.join('');
        expect(murmur3(s, 42)).toBe(murmur3Bytes(utf8.encode(s), 42));
      }),
    );
  });
});

describe('bucketOf', () => {
  it('uses murmur3 of the salt with seed 0 as the key hash seed', () => {
    expect(saltSeed('salt')).toBe(murmur3('salt', 0));
    expect(bucketOf(saltSeed('salt'), 'user-1')).toBe(murmur3('user-1', murmur3('salt', 0)) % 10000);
  });

  it('always lands in 0..9999 and is deterministic', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'grapheme' }), (salt, key) => {
        const b = bucketOf(saltSeed(salt), key);
        expect(Number.isInteger(b) && b >= 0 && b < BUCKETS).toBe(true);
        expect(bucketOf(saltSeed(salt), key)).toBe(b);
      }),
    );
  });

  it.each(vectors.map((v) => [v.salt, v.key, v.bucket] as const))(
    'matches the shared vector: salt %j, key %j -> bucket %d',
    (salt, key, bucket) => {
      expect(bucketOf(saltSeed(salt), key)).toBe(bucket);
    },
  );
});

describe('rollout percentages', () => {
  it('covers round(percent * 100) buckets, so half a percent is 50 buckets', () => {
    expect(rolloutThreshold(0.5)).toBe(50);
    expect(rolloutThreshold(0.29)).toBe(29);
    expect(rolloutThreshold(0.125)).toBe(13);
    expect(rolloutThreshold(5)).toBe(500);
    expect(rolloutThreshold(0)).toBe(0);
    expect(rolloutThreshold(-3)).toBe(0);
    expect(rolloutThreshold(Number.NaN)).toBe(0);
    expect(rolloutThreshold(100)).toBe(10000);
    expect(rolloutThreshold(250)).toBe(10000);
  });

  it('is monotone: a key in at p is in at every q >= p', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (salt, key, a, b) => {
          const [p, q] = a <= b ? [a, b] : [b, a];
          const seed = saltSeed(salt);
          if (inRollout(seed, key, p)) expect(inRollout(seed, key, q)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([5, 25, 50])('puts %d%% of 100,000 keys in the rollout, within half a percentage point', (percent) => {
    for (const salt of ['support-draft', 'b7e1c0de']) {
      expect(Math.abs(share(saltSeed(salt), percent) - percent / 100)).toBeLessThan(0.005);
    }
  });

  it('buckets flags with different salts independently: 50% and 50% overlap on about 25%', () => {
    const a = saltSeed('flag-a-salt');
    const b = saltSeed('flag-b-salt');
    let both = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const key = `user-${i}`;
      if (inRollout(a, key, 50) && inRollout(b, key, 50)) both++;
    }
    expect(Math.abs(both / n - 0.25)).toBeLessThan(0.005);
  });
});
