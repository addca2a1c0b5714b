/**
 * Evaluation counters for telemetry (docs/protocol.md, `telemetry`). The counters live on each
 * flag's PreparedFlag (`n1` on, `n0` off, `nf` fallback), so an evaluation increments a field
 * of the object it already looked up: one Map lookup and no allocation per evaluation.
 */
import type { PreparedFlag } from './evaluate.js';
import type { TelemetryCount } from './protocol.js';

const count = (p: PreparedFlag): TelemetryCount => ({ key: p.f.key, stage: p.f.stage, on: p.n1, off: p.n0, fallback: p.nf });

/**
 * A flag's state `old` is being replaced by `next` (undefined: the flag is gone). Its counts
 * move to `next` when both are at the same stage; otherwise they are set aside until the next
 * report, so counts stay attributed to the stage that served them (the server sums entries
 * that share a flag and stage).
 */
export function carry(old: PreparedFlag | undefined, next: PreparedFlag | undefined, aside: TelemetryCount[]): void {
  if (!old) return;
  if (next && next.f.stage === old.f.stage) {
    next.n1 = old.n1;
    next.n0 = old.n0;
    next.nf = old.nf;
  } else if (old.n1 + old.n0 + old.nf) aside.push(count(old));
}

/** The non-zero counts since the last call (those set aside first), zeroing them. */
export function takeCounts(flags: Iterable<PreparedFlag>, aside: TelemetryCount[]): TelemetryCount[] {
  const all = aside.splice(0);
  for (const p of flags) {
    if (p.n1 + p.n0 + p.nf) {
      all.push(count(p));
      p.n1 = p.n0 = p.nf = 0;
    }
  }
  return all;
}
