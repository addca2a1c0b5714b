import type { SoakPoint } from './soak-progress.js';

/** What soak-history reads of an audit entry: when, and the flag as it was after the change. */
export interface AuditStateEntry {
  at: string;
  after: unknown;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The flag's history in one environment, from its audit entries (oldest first): every flag
 * mutation records the flag after it (`FlagView`: percent, killed, paused), so each such entry is a
 * point of the history. Entries of another shape (sign-offs, lapses) say nothing about what was
 * served and are skipped. An archived flag serves nobody: it counts as not holding, as a kill does.
 */
export function soakPointsFromAudit(entries: readonly AuditStateEntry[]): SoakPoint[] {
  const points: SoakPoint[] = [];
  for (const e of entries) {
    const a = e.after as Record<string, unknown> | null;
    if (!a || typeof a !== 'object' || !isNum(a.percent) || !isNum(a.stage) || typeof a.killed !== 'boolean' || typeof a.paused !== 'boolean') continue;
    points.push({ at: e.at, percent: a.percent, killed: a.killed || a.archived === true, paused: a.paused });
  }
  return points;
}

/** The flag's state now, as the last point of its history (`at`: its last update). */
export function soakPointOfRow(row: { updated_at: string; killed: number; paused: number; archived: number }, percent: number): SoakPoint {
  return { at: row.updated_at, percent, killed: row.killed === 1 || row.archived === 1, paused: row.paused === 1 };
}
