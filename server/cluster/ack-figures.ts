/**
 * A replica's acknowledgement figures as it publishes them to the others: how many SDKs it
 * serves, and how many of them have applied each global state version, as a histogram
 * `[[version, count], …]` (newest first). One histogram answers for every flag, because an SDK
 * acknowledges a global version: it has a flag's latest change when its version is at least
 * that flag's state version. Its size does not grow with the number of flags, so it fits a
 * NOTIFY payload (8000 bytes) however many flags there are.
 */
export interface AckFigures {
  /** Increases with each publication of one replica: a stale row never overwrites a fresher notice. */
  n: number;
  /** The replica's default environment's SDKs (what a replica from before issue 23 reads). */
  connected: number;
  applied: Array<[number, number]>;
  /**
   * SDKs this replica closed as unresponsive in the last 5 minutes, by the version they had
   * applied (a histogram as `applied`); absent when none. Summed across replicas (issue 20).
   * The default environment's; each environment's own is the third element of `e`.
   */
  unresponsive?: Array<[number, number]>;
  /**
   * Per environment (issue 23): `[connected, applied histogram, unresponsive histogram?]` of the SDKs
   * whose key belongs to it. Absent (a replica from before environments): every figure above is the
   * default environment's.
   */
  e?: Record<string, [number, Array<[number, number]>, Array<[number, number]>?]>;
}

/** One environment's figures out of a replica's publication. */
export function figuresIn(f: AckFigures, environment: string, defaultEnvironment: string): { connected: number; applied: Array<[number, number]>; unresponsive?: Array<[number, number]> } {
  if (!f.e) return environment === defaultEnvironment ? f : { connected: 0, applied: [] };
  const own = f.e[environment];
  if (!own) return { connected: 0, applied: [] };
  return { connected: own[0], applied: own[1], ...(own[2] && own[2].length > 0 && { unresponsive: own[2] }) };
}

/**
 * Counts of applied versions, newest first, at most `cap` buckets: the oldest are folded into
 * one bucket at the lowest version among them, so a folded SDK is never counted as having a
 * version it does not have.
 */
export function histogram(applied: Iterable<number>, cap = 48): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const v of applied) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[0] - a[0]);
  if (sorted.length <= cap) return sorted;
  const kept = sorted.slice(0, cap - 1);
  const rest = sorted.slice(cap - 1);
  kept.push([rest[rest.length - 1]![0], rest.reduce((n, [, c]) => n + c, 0)]);
  return kept;
}

/** How many SDKs of the histogram have applied `stateVersion` or later. */
export function acknowledgedAt(applied: ReadonlyArray<readonly [number, number]>, stateVersion: number): number {
  let n = 0;
  for (const [v, c] of applied) if (v >= stateVersion) n += c;
  return n;
}

/** How many SDKs of the histogram had applied less than `stateVersion` (the unresponsive that miss a change). */
export function behind(hist: ReadonlyArray<readonly [number, number]> | undefined, stateVersion: number): number {
  let n = 0;
  for (const [v, c] of hist ?? []) if (v < stateVersion) n += c;
  return n;
}

/** Parses figures from a notice or a `replicas.acks` column; undefined when they are not figures. */
export function parseFigures(text: string): AckFigures | undefined {
  try {
    const f = JSON.parse(text) as Partial<AckFigures>;
    if (typeof f.n !== 'number' || typeof f.connected !== 'number' || !Array.isArray(f.applied)) return undefined;
    const applied = pairs(f.applied);
    const unresponsive = Array.isArray(f.unresponsive) ? pairs(f.unresponsive) : [];
    const top = { n: f.n, connected: f.connected, applied, ...(unresponsive.length > 0 && { unresponsive }) };
    if (f.e === undefined || f.e === null || typeof f.e !== 'object' || Array.isArray(f.e)) return top;
    const e: NonNullable<AckFigures['e']> = {};
    for (const [env, v] of Object.entries(f.e as Record<string, unknown>)) {
      if (!Array.isArray(v) || typeof v[0] !== 'number' || !Array.isArray(v[1])) continue;
      const u = Array.isArray(v[2]) ? pairs(v[2] as unknown[]) : [];
      e[env] = u.length > 0 ? [v[0], pairs(v[1] as unknown[]), u] : [v[0], pairs(v[1] as unknown[])];
    }
    return { ...top, e };
  } catch {
    return undefined;
  }
}

function pairs(list: unknown[]): Array<[number, number]> {
  return list.filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number');
}
