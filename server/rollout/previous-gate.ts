import type { Gate } from '@switchyard-flags/sdk/api';
import { iterateAudit, listAudit } from '../audit/audit-store.js';
import { listEnvironmentRows } from '../environments/environment-store.js';
import { soakPointOfRow, soakPointsFromAudit, type AuditStateEntry } from '../environments/soak-history.js';
import { previousEnvironment, soakProgress, type SoakPoint } from '../environments/soak-progress.js';
import { getFlagRow } from '../flags/flag-store.js';
import { parsePlan, stagePercent } from '../flags/flag-view.js';
import type { Db } from '../storage/schema.js';
import type { Stage } from './plan-schema.js';

/** Pages of entries before the soak window read back to find what the flag served when it opened (a bound: beyond it, nothing is assumed). */
const LOOKBACK_PAGES = 20;
const PAGE = 50;

const entryOf = (r: { at: string; after: string | null }): AuditStateEntry => ({ at: r.at, after: r.after === null ? null : (JSON.parse(r.after) as unknown) });

/**
 * The flag's history in `env` over the soak window: its state when the window opened (the last
 * audit entry before it that carries the flag), every such entry inside it, then the row as it is.
 */
async function historyOf(db: Db, env: string, key: string, windowStart: string): Promise<SoakPoint[]> {
  let opening: SoakPoint[] = [];
  let beforeSeq: number | undefined;
  for (let page = 0; page < LOOKBACK_PAGES && opening.length === 0; page++) {
    const rows = await listAudit(db, { flag: key, environment: env, to: windowStart }, beforeSeq, PAGE);
    for (const r of rows) {
      opening = soakPointsFromAudit([entryOf(r)]);
      if (opening.length > 0) break;
    }
    if (rows.length < PAGE) break;
    beforeSeq = rows[rows.length - 1]!.seq;
  }
  const inside: AuditStateEntry[] = [];
  for await (const r of iterateAudit(db, { flag: key, environment: env, from: windowStart })) inside.push(entryOf(r));
  const points = [...opening, ...soakPointsFromAudit(inside)];
  const row = await getFlagRow(db, env, key);
  if (row) points.push(soakPointOfRow(row, stagePercent(parsePlan(row), row.stage)));
  return points;
}

/**
 * The `previous` gate of entering `stage` in `env` (the stage's `requirePrevious`): the environment
 * before it by order must have held the stage's percentage, unkilled and unpaused, for the soak,
 * up to now (server/environments/soak-progress.ts judges it). The first environment has none
 * before it: nothing to wait for, so a plan promoted along the chain carries the same rule.
 */
export async function requirePreviousGate(db: Db, env: string, key: string, stage: Stage, now: Date): Promise<Gate | null> {
  const rule = stage.requirePrevious;
  if (!rule) return null;
  const base = { gate: 'previous' as const, threshold: rule.soakMinutes, percent: stage.percent };
  const environments = (await listEnvironmentRows(db, false)).map((e) => ({ key: e.key, order: Number(e.position) }));
  const prev = previousEnvironment(environments, env);
  if (!prev) {
    return { ...base, ok: true, observed: null, environment: null, since: null, detail: `${env} is the first environment: none before it must hold ${stage.percent}% first` };
  }
  const windowStart = new Date(now.getTime() - rule.soakMinutes * 60_000).toISOString();
  const p = soakProgress({ environment: prev.key, percent: stage.percent, soakMinutes: rule.soakMinutes }, await historyOf(db, prev.key, key, windowStart), now);
  return { ...base, ok: p.ok, observed: Math.floor(p.heldMs / 60_000), environment: prev.key, since: p.since, detail: p.detail };
}
