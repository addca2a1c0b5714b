/**
 * Stable bucketing: MurmurHash3 x86_32 over the UTF-8 bytes of a string,
 * computed without allocating (the bytes are produced on the fly from the
 * UTF-16 code units). No `node:*` imports and no dependencies: runs in browsers.
 *
 * The algorithm is published in docs/bucketing.md so that SDKs in other
 * languages can match it bit for bit; sdk/test-vectors/bucketing.json pins it.
 */

/** Number of buckets: a bucket is an integer in 0..BUCKETS-1. */
export const BUCKETS = 10000;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Mixes one full little-endian 4-byte block `k` into the running hash `h`. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `str`, with `seed`.
 * Returns an unsigned 32-bit integer.
 *
 * UTF-8 is produced exactly as `TextEncoder` does: a surrogate pair becomes
 * one 4-byte sequence, and a lone surrogate becomes U+FFFD (EF BF BD).
 * Nothing is allocated, so it is safe on a hot path.
 */
export function murmur3(str: string, seed: number): number {
  return hash(str, seed, false);
}

/**
 * murmur3, then `% BUCKETS` when `bucket`. Taking the bucket here keeps the result a small
 * integer: a full 32-bit hash returned from a call is boxed as a heap number (8-16 bytes per
 * call on the hot path); a bucket never is. This is the ASCII path, small enough for V8 to
 * inline; the first non-ASCII character hands over to {@link hashUtf8}.
 */
function hash(str: string, seed: number, bucket: boolean): number {
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
    if ((c0 | c1 | c2 | c3) >= 0x80) return hashUtf8(str, h, i, bucket);
    let k = Math.imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  // The 1..3 ASCII characters left over.
  if (i < n) {
    let k = 0;
    for (let shift = 0; i < n; i++, shift += 8) {
      const c = str.charCodeAt(i);
      if (c >= 0x80) return hashUtf8(str, h, blocks, bucket);
      k |= c << shift;
    }
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  return finish(h, n, bucket);
}

/** Finalization (fmix32) over `len` bytes, then the bucket when `bucket`. */
function finish(h: number, len: number, bucket: boolean): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return bucket ? (h >>> 0) % BUCKETS : h >>> 0; // a constant divisor: no division instruction
}

/**
 * The general path from character `from` on (everything before it was whole ASCII blocks,
 * already mixed into `h`): one UTF-16 code unit, or surrogate pair, at a time.
 */
function hashUtf8(str: string, h: number, from: number, bucket: boolean): number {
  const n = str.length;
  let k = 0; // pending bytes of the current block, little-endian
  let shift = 0; // bits held in k: 0, 8, 16 or 24
  let len = from; // total UTF-8 bytes
  let i = from;

  // General path: one UTF-16 code unit (or surrogate pair) at a time.
  for (; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) {
      k |= c << shift;
      len += 1;
      shift += 8;
      if (shift === 32) {
        h = mixBlock(h, k);
        k = 0;
        shift = 0;
      }
      continue;
    }
    let bytes: number; // up to four UTF-8 bytes, first byte lowest
    let count: number;
    if (c < 0x800) {
      bytes = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        bytes =
          (0xf0 | (cp >> 18)) |
          ((0x80 | ((cp >> 12) & 0x3f)) << 8) |
          ((0x80 | ((cp >> 6) & 0x3f)) << 16) |
          ((0x80 | (cp & 0x3f)) << 24);
        count = 4;
        i++;
      } else {
        bytes = 0xef | (0xbf << 8) | (0xbd << 16); // lone surrogate -> U+FFFD
        count = 3;
      }
    } else {
      bytes = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      count = 3;
    }
    len += count;
    for (let j = 0; j < count; j++) {
      k |= (bytes & 0xff) << shift;
      bytes >>>= 8;
      shift += 8;
      if (shift === 32) {
        h = mixBlock(h, k);
        k = 0;
        shift = 0;
      }
    }
  }

  // Tail: the 1..3 bytes left over.
  if (shift !== 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }

  return finish(h, len, bucket);
}

/**
 * The bucketing seed of a flag: `murmur3(salt, 0)`. Compute it once per flag
 * state and pass it to {@link bucketOf}.
 */
export function saltSeed(salt: string): number {
  return murmur3(salt, 0);
}

/** The bucket (0..9999) of a context key under a flag's seed: `murmur3(key, seed) % 10000`. */
export function bucketOf(seed: number, key: string): number {
  return hash(key, seed, true);
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
  return bucketOf(seed, key) < rolloutThreshold(percent);
}
