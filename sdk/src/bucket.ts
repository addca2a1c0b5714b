/**
 * Stable bucketing: MurmurHash3 x86_32 over the UTF-8 bytes of a string, computed without
 * allocating for ASCII strings (the bytes are the UTF-16 code units); a string with a non-ASCII
 * character is encoded by `TextEncoder` from its first non-ASCII block on. No `node:*` imports
 * and no dependencies: runs in browsers.
 *
 * The algorithm is published in docs/bucketing.md so that SDKs in other
 * languages can match it bit for bit; sdk/test-vectors/bucketing.json pins it.
 */

/** Number of buckets: a bucket is an integer in 0..BUCKETS-1. */
export const BUCKETS = 10000;

// The constants below are literals where they are used, not module constants: a bundler turns a
// module `const` into a `var`, and V8 then loads it on every use instead of folding it (a modulus
// by a loaded value is a division instruction, ~10 ns per evaluation). C1 = 0xcc9e2d51,
// C2 = 0x1b873593.

/** The per-block scramble of MurmurHash3: `rotl(k * C1, 15) * C2`. */
function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}

/** Mixes one full little-endian 4-byte block `k` into the running hash `h`. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `str`, with `seed`.
 * Returns an unsigned 32-bit integer.
 *
 * UTF-8 as `TextEncoder` produces it: a surrogate pair becomes one 4-byte sequence, and a lone
 * surrogate becomes U+FFFD (EF BF BD). Nothing is allocated for an ASCII string.
 */
export function murmur3(str: string, seed: number): number {
  return hash(str, seed, false, undefined);
}

/**
 * Where a bucketing call can leave the 30-bit hash it computed (`murmur3 >>> 2`: a small
 * integer, never boxed), so the reach sketch (reach.ts) need not hash the key again. The caller
 * owns it (one per client): the module itself keeps no state.
 */
export interface HashOut {
  hash: number;
}

/**
 * murmur3, then `% BUCKETS` when `bucket` (and the 30-bit hash into `out`, if given). Taking the bucket here keeps the result a small
 * integer: a full 32-bit hash returned from a call is boxed as a heap number (8-16 bytes per
 * call on the hot path); a bucket never is. This is the ASCII path, small enough for V8 to
 * inline; the first non-ASCII character hands over to {@link hashUtf8}.
 */
function hash(str: string, seed: number, bucket: boolean, out: HashOut | undefined): number {
  const n = str.length;
  const blocks = n & ~3;
  let h = seed | 0;
  let i = 0;

  // Whole blocks of four ASCII characters.
  for (; i < blocks; i += 4) {
    const c0 = str.charCodeAt(i);
    const c1 = str.charCodeAt(i + 1);
    const c2 = str.charCodeAt(i + 2);
    const c3 = str.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) return hashUtf8(str, h, i, bucket, out);
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }

  // The 1..3 ASCII characters left over.
  if (i < n) {
    let k = 0;
    for (let shift = 0; i < n; i++, shift += 8) {
      const c = str.charCodeAt(i);
      if (c >= 0x80) return hashUtf8(str, h, blocks, bucket, out);
      k |= c << shift;
    }
    h ^= scramble(k);
  }
  return finish(h, n, bucket, out);
}

/** Finalization (fmix32) over `len` bytes, then the bucket (BUCKETS = 10000) when `bucket`. */
function finish(h: number, len: number, bucket: boolean, out: HashOut | undefined): number {
  h ^= len;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  if (!bucket) return h;
  if (out !== undefined) out.hash = h >>> 2;
  return h % 10000;
}

/**
 * The general path from character `from` on (a block boundary: everything before it was whole
 * ASCII blocks, already mixed into `h`): the rest of the string as UTF-8 bytes from
 * `TextEncoder` (a surrogate pair is one 4-byte sequence, a lone surrogate U+FFFD), mixed four
 * at a time. Only keys with a non-ASCII character come here, and only they allocate.
 */
function hashUtf8(str: string, h: number, from: number, bucket: boolean, out: HashOut | undefined): number {
  const b = new TextEncoder().encode(str.slice(from));
  const n = b.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) h = mixBlock(h, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
  let k = 0;
  for (let shift = 0; i < n; i++, shift += 8) k |= b[i]! << shift;
  return finish(n & 3 ? h ^ scramble(k) : h, from + n, bucket, out);
}

/**
 * The bucketing seed of a flag: `murmur3(salt, 0)`. Compute it once per flag
 * state and pass it to {@link bucketOf}.
 */
export function saltSeed(salt: string): number {
  return hash(salt, 0, false, undefined); // murmur3(salt, 0)
}

/**
 * The bucket (0..9999) of a context key under a flag's seed: `murmur3(key, seed) % 10000`;
 * with `out`, also `murmur3(key, seed) >>> 2` into `out.hash`.
 */
export function bucketOf(seed: number, key: string, out?: HashOut): number {
  return hash(key, seed, true, out);
}

/**
 * How many buckets a rollout of `percent` (0..100, may be fractional) covers:
 * `round(percent * 100)`, ties rounded up, clamped to 0..10000. A context is in
 * the rollout iff its bucket is below this threshold, so cohorts only grow
 * as the percentage grows.
 */
export function rolloutThreshold(percent: number): number {
  if (!(percent > 0)) return 0;
  if (percent >= 100) return BUCKETS;
  return Math.round(percent * 100);
}

/** Whether a context key is in a rollout of `percent` under `seed`. */
export function inRollout(seed: number, key: string, percent: number): boolean {
  return bucketOf(seed, key, undefined) < rolloutThreshold(percent);
}
