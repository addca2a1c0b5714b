/**
 * Reach: about how many distinct users each stage of a flag served its `on` value to. One
 * HyperLogLog sketch of 64 one-byte registers per (flag, stage), fed by the bucketing hash the
 * evaluation already computed (at 100% the key is hashed here, only because a sketch is
 * attached). Opt-in: the browser entry never imports this module (a browser app serves one
 * user); `@switchyard-flags/sdk/node` attaches one to every client by default. The format is
 * published in docs/protocol.md ("Reach") so that SDKs in other languages can match it.
 */
import { bucketOf, saltSeed, type HashOut } from './bucket.js';
import type { Reach, WebSocketLike } from './client-types.js';
import { targetingKey, type PreparedFlag } from './evaluate.js';
import { MAX_TELEMETRY_REACH, REACH_REGISTERS, type EvaluationContext, type TelemetryReach } from './protocol.js';

export type { Reach } from './client-types.js';

/**
 * Adds one 30-bit hash (`murmur3(key, murmur3(salt, 0)) >>> 2`) to a sketch: a fixed bijective
 * mix (so the rollout's bucket condition leaves no trace), then the top 6 bits pick the
 * register, which keeps the largest rank: leading zeros of the low 24 bits, plus one (1..25).
 */
export function addHash(regs: Uint8Array, h: number): void {
  let x = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) & 0x3fffffff;
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39) & 0x3fffffff;
  x ^= x >>> 15;
  const i = x >>> 24;
  const rank = Math.clz32(x & 0xffffff) - 7;
  if (rank > regs[i]!) regs[i] = rank;
}

/** Merges `from` into `into`, register by register (max): the sketch of the union. */
export function mergeRegs(into: Uint8Array, from: ArrayLike<number>): void {
  for (let i = 0; i < REACH_REGISTERS; i++) if (from[i]! > into[i]!) into[i] = from[i]!;
}

/**
 * The HyperLogLog estimate of a sketch's distinct count, with the small-range correction
 * (linear counting while the raw estimate is at most 2.5 m and some register is empty).
 * 64 registers: a standard error of about 1.04 / sqrt(64) = 13%.
 */
export function estimateReach(regs: ArrayLike<number>): number {
  const m = REACH_REGISTERS;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    sum += 2 ** -regs[i]!;
    if (regs[i] === 0) zeros++;
  }
  const raw = (0.709 * m * m) / sum; // alpha_64 = 0.709
  return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw);
}

/** Registers as lowercase hex, two digits each (the wire form). */
export const regsToHex = (regs: Uint8Array): string => Array.from(regs, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');

/** A sketch being filled for one prepared flag state. */
interface Sketch {
  key: string;
  stage: number;
  /** The flag's bucketing seed, `murmur3(salt, 0) | 0`, to hash keys served at 100%. */
  seed: number;
  regs: Uint8Array;
}

const NONE: EvaluationContext = {};

/**
 * A reach sketch set for one client: pass it as `createClient({ ..., reach: createReach() })`
 * (the Node entry does so by default). Per evaluation that serves `on` with a targeting key:
 * one lookup and a register update, no allocation; per report, one message per 100 sketches.
 */
export function createReach(): Reach {
  const sketches = new Map<PreparedFlag, Sketch>();
  /** Where a key served at 100% is hashed (a partial rollout's evaluation hands its hash in). */
  const own: HashOut = { hash: 0 };
  let lastFlag: PreparedFlag | undefined;
  let last: Sketch | undefined;
  return {
    add(p, context, hashed) {
      const key = targetingKey(context ?? NONE);
      if (key === undefined) return;
      let s = p === lastFlag ? last : sketches.get(p);
      if (s === undefined) {
        let seed = p.seed;
        try {
          // As an int32 (murmur3 reads its seed as one): a Smi in Node, never a boxed double field.
          seed = (seed || saltSeed(p.f.salt)) | 0;
        } catch {
          return; // a state without a usable salt cannot be sketched
        }
        s = { key: p.f.key, stage: p.f.stage, seed, regs: new Uint8Array(REACH_REGISTERS) };
        sketches.set(p, s);
      }
      lastFlag = p;
      last = s;
      // A partial rollout just hashed this key with this seed (the evaluation's `hashed`); at 100% nothing did.
      if (p.seed === 0 || hashed === undefined) {
        bucketOf(s.seed, key, own);
        addHash(s.regs, own.hash);
      } else addHash(s.regs, hashed);
    },
    send(ws: WebSocketLike) {
      if (!sketches.size) return;
      const merged = new Map<string, Sketch>();
      for (const s of sketches.values()) {
        const id = s.key + '\n' + s.stage;
        const m = merged.get(id);
        if (m) mergeRegs(m.regs, s.regs);
        else merged.set(id, s);
      }
      sketches.clear();
      lastFlag = last = undefined;
      const all: TelemetryReach[] = [...merged.values()].map((s) => ({ key: s.key, stage: s.stage, regs: regsToHex(s.regs) }));
      for (let i = 0; i < all.length; i += MAX_TELEMETRY_REACH) ws.send(JSON.stringify({ type: 'telemetry', counts: [], reach: all.slice(i, i + MAX_TELEMETRY_REACH) }));
    },
  };
}
