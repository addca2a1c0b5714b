/** What the flag list reads: the pages of `GET /api/flags` (as many as were loaded) and the stale flags. */
import { get } from '../../api.js';
import type { FlagListItem, FlagListPage, StaleFlag } from '../../types.js';
import { loadStale } from './stale.js';

export const pageUrl = (cursor: string) => `/api/flags?cursor=${encodeURIComponent(cursor)}`;

export interface FlagListData {
  flags: FlagListItem[];
  next: string | null;
  stale: Map<string, StaleFlag>;
}

/** The first page, and more until at least `want` flags are loaded, so a reload never shrinks the list. */
export async function loadFlagList(want: number, signal?: AbortSignal): Promise<FlagListData> {
  // Staleness is a hint: a failure to read it must not hide the flags.
  const [first, stale] = await Promise.all([get<FlagListPage>('/api/flags', signal), loadStale(signal).catch(() => new Map<string, StaleFlag>())]);
  const flags = [...first.flags];
  let next = first.next;
  while (next !== null && flags.length < want) {
    const page = await get<FlagListPage>(pageUrl(next), signal);
    flags.push(...page.flags);
    next = page.next;
  }
  return { flags: flags.sort((a, b) => a.key.localeCompare(b.key)), next, stale };
}
