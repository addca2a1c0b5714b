/** Evaluation counters for telemetry (docs/protocol.md, `telemetry`). No allocation per evaluation. */
import type { FlagState, TelemetryCount } from './protocol.js';

/**
 * One counter object per flag, created when the flag's state arrives and incremented in
 * place by evaluations. A flag that moves to another stage (or disappears) keeps its old
 * counter aside until the next report, so counts stay attributed to the stage that served
 * them (the server sums entries that share a flag and stage).
 */
export function evalCounts() {
  const live = new Map<string, TelemetryCount>();
  let aside: TelemetryCount[] = [];
  const untrack = (key: string) => {
    const c = live.get(key);
    if (c) aside.push(c);
    live.delete(key);
  };
  return {
    /** The counter to increment for `key`, if the flag is known. */
    get: (key: string) => live.get(key),
    track(f: FlagState): void {
      if (live.get(f.key)?.stage === f.stage) return;
      untrack(f.key);
      live.set(f.key, { key: f.key, stage: f.stage, on: 0, off: 0, fallback: 0 });
    },
    untrack,
    /** The non-zero counters since the last reset() (live objects: serialise before resetting). */
    take: () => [...aside, ...live.values()].filter((c) => c.on + c.off + c.fallback),
    reset(): void {
      aside = [];
      for (const c of live.values()) c.on = c.off = c.fallback = 0;
    },
  };
}
