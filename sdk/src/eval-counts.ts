/**
 * Evaluation counters for telemetry (docs/protocol.md, `telemetry`). The counters live on each
 * flag's PreparedFlag (`n1` on, `n0` off, `nf` fallback), so an evaluation increments a field
 * of the object it already looked up: one Map lookup and no allocation per evaluation.
 */
import type { PreparedFlag } from './evaluate.js';
import type { TelemetryCount } from './protocol.js';

const count = (p: PreparedFlag): TelemetryCount => ({ key: p.f.key, stage: p.f.stage, on: p.n1_, off: p.n0_, fallback: p.nf_ });

/**
 * A flag's state `old` is being replaced by `next` (undefined: the flag is gone). Its counts
 * move to `next` when both are at the same stage; otherwise they are set aside until the next
 * report, so counts stay attributed to the stage that served them (the server sums entries
 * that share a flag and stage).
 */
export function carry(old: PreparedFlag | undefined, next: PreparedFlag | undefined, aside: TelemetryCount[]): void {
  if (!old) return;
  if (next && next.f.stage === old.f.stage) {
    next.n1_ = old.n1_;
    next.n0_ = old.n0_;
    next.nf_ = old.nf_;
  } else if (old.n1_ + old.n0_ + old.nf_) aside.push(count(old));
}

/** The non-zero counts since the last call (those set aside first), zeroing them. */
export function takeCounts(flags: Iterable<PreparedFlag>, aside: TelemetryCount[]): TelemetryCount[] {
  const all = aside.splice(0);
  for (const p of flags) {
    if (p.n1_ + p.n0_ + p.nf_) {
      all.push(count(p));
      p.n1_ = p.n0_ = p.nf_ = 0;
    }
  }
  return all;
}
