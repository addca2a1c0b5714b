/** Stale flags: live flags no SDK evaluated for 30 days (`GET /api/stale-flags`), candidates to remove. */
import { get, query } from '../../api.js';
import { dateTime } from '../../format.js';
import type { StaleFlag, StaleFlagsView } from '../../types.js';

export const STALE_DAYS = 30;

export const STALE_LABEL = `Stale: not evaluated for ${STALE_DAYS} days`;

export async function loadStale(signal?: AbortSignal): Promise<Map<string, StaleFlag>> {
  const r = await get<StaleFlagsView>(`/api/stale-flags${query({ days: STALE_DAYS })}`, signal);
  return new Map(r.flags.map((f) => [f.key, f]));
}

export function staleTitle(s: StaleFlag): string {
  return s.lastEvaluatedAt
    ? `Last evaluated ${dateTime(s.lastEvaluatedAt)}; no SDK evaluated it since. A candidate to archive.`
    : `Never evaluated since it was created ${dateTime(s.createdAt)}. A candidate to archive.`;
}
