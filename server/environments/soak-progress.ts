/**
 * `requirePrevious {soakMinutes}`, judged: has the environment before this one (by order) held the
 * stage's percentage, unkilled and unpaused, for the soak time, up to now? Pure: a function of the
 * previous environment's history of the flag and the time.
 */

/** The flag's state in one environment from `at` until the next point: what it served then. */
export interface SoakPoint {
  at: string;
  percent: number;
  killed: boolean;
  paused: boolean;
}

export interface SoakRequirement {
  /** The environment that must have held it (the previous one by order). */
  environment: string;
  percent: number;
  soakMinutes: number;
}

export interface SoakProgress {
  ok: boolean;
  environment: string;
  percent: number;
  /** How long it has held the percentage, unkilled and unpaused, up to now (0 when it does not now). */
  heldMs: number;
  neededMs: number;
  /** Since when it has held it; null when it does not hold it now. */
  since: string | null;
  /** "staging has held 25% for 3 h of 24 h". */
  detail: string;
}

const MINUTE = 60_000;

/** "45 min", "3 h", "2 h 30 min", "24 h", "3 d 4 h": whole minutes, rounded down (a soak is never overstated). */
export function soakDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / MINUTE));
  if (total < 60) return `${total} min`;
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  if (hours < 48) return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${days} d` : `${days} d ${h} h`;
}

function holds(p: SoakPoint, percent: number): boolean {
  return !p.killed && !p.paused && p.percent >= percent;
}

/** Why the latest state does not count: killed, paused, or serving less. */
function notHolding(env: string, p: SoakPoint | undefined, req: SoakRequirement): string {
  const need = `it must hold ${req.percent}% for ${soakDuration(req.soakMinutes * MINUTE)}, unkilled and unpaused`;
  if (!p) return `${env} has not served this flag yet: ${need}`;
  if (p.killed) return `${env} is killed: ${need}`;
  if (p.paused) return `${env}'s rollout is paused: ${need}`;
  return `${env} serves ${p.percent}%, not ${req.percent}%: ${need}`;
}

/**
 * Walks the history back from `now`: the run of points that hold the percentage (or more), unkilled
 * and unpaused, up to the latest one is how long it has held. Points after `now` are not counted; a
 * history that starts holding counts from its first point (nothing is assumed before it).
 */
export function soakProgress(req: SoakRequirement, history: readonly SoakPoint[], now: Date): SoakProgress {
  const t = now.getTime();
  const neededMs = req.soakMinutes * MINUTE;
  const past = history
    .map((p, i) => ({ p, i, ms: Date.parse(p.at) }))
    .filter((x) => Number.isFinite(x.ms) && x.ms <= t)
    .sort((a, b) => a.ms - b.ms || a.i - b.i);
  const base = { environment: req.environment, percent: req.percent, neededMs };
  const latest = past[past.length - 1];
  if (!latest || !holds(latest.p, req.percent)) {
    return { ...base, ok: false, heldMs: 0, since: null, detail: notHolding(req.environment, latest?.p, req) };
  }
  let start = latest;
  for (let k = past.length - 2; k >= 0 && holds(past[k]!.p, req.percent); k--) start = past[k]!;
  const heldMs = t - start.ms;
  const ok = heldMs >= neededMs;
  const since = new Date(start.ms).toISOString();
  const held = `${req.environment} has held ${req.percent}% for ${soakDuration(heldMs)}`;
  const detail = ok
    ? `${held} (needs ${soakDuration(neededMs)})`
    : `${held} of ${soakDuration(neededMs)}: ${soakDuration(neededMs - heldMs)} to go`;
  return { ...base, ok, heldMs, since, detail };
}

/**
 * The environment before `key` by order (ties by key), among those not archived; null for the
 * first. Pure: the list as the environments store answers it.
 */
export function previousEnvironment<E extends { key: string; order: number; archived?: boolean }>(environments: readonly E[], key: string): E | null {
  const live = environments.filter((e) => !e.archived || e.key === key);
  const sorted = [...live].sort((a, b) => a.order - b.order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const i = sorted.findIndex((e) => e.key === key);
  return i > 0 ? sorted[i - 1]! : null;
}
