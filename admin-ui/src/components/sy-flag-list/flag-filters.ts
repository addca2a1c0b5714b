/** The flag list's search and filters: what they match, and the filter bar. */
import { html } from 'lit';
import type { FlagListItem } from '../../types.js';
import { STALE_DAYS } from './stale.js';

export interface Filters {
  q: string;
  owner: string;
  tag: string;
  state: string;
  stage: string;
}

export const NO_FILTERS: Filters = { q: '', owner: '', tag: '', state: '', stage: '' };

/** `stale`: keys of the flags no SDK evaluated for `STALE_DAYS` days. */
export function matches(f: FlagListItem, x: Filters, stale: { has(key: string): boolean } = new Set<string>()): boolean {
  const q = x.q.trim().toLowerCase();
  if (q && !`${f.key} ${f.description} ${f.owner} ${f.tags.join(' ')}`.toLowerCase().includes(q)) return false;
  if (x.owner && f.owner !== x.owner) return false;
  if (x.tag && !f.tags.includes(x.tag)) return false;
  if (x.state === 'killed' && !f.killed) return false;
  if (x.state === 'paused' && !f.paused) return false;
  if (x.state === 'live' && (f.killed || f.paused)) return false;
  if (x.state === 'stale' && !stale.has(f.key)) return false;
  if (x.stage === 'not-started' && f.stage !== 0) return false;
  if (x.stage === 'rolling' && !(f.stage > 0 && f.percent < 100)) return false;
  if (x.stage === 'full' && f.percent !== 100) return false;
  return true;
}

/** The filter bar; `set` receives the filter that changed and its new value. */
export function renderFilters(x: Filters, all: FlagListItem[], shown: number, set: (k: keyof Filters, v: string) => void) {
  const owners = [...new Set(all.map((f) => f.owner))].sort();
  const tags = [...new Set(all.flatMap((f) => f.tags))].sort();
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  const sel = (k: keyof Filters, label: string, opts: Array<[string, string]>) => html`<div class="field">
    <label for="f-${k}">${label}</label>
    <select id="f-${k}" .value=${x[k]} @change=${(e: Event) => set(k, value(e))}>
      ${opts.map(([v, l]) => html`<option value=${v} ?selected=${x[k] === v}>${l}</option>`)}
    </select>
  </div>`;
  return html`<div class="card filters" role="search" aria-label="Filter flags">
    <div class="field">
      <label for="f-q">Search</label>
      <input id="f-q" type="search" placeholder="Key, description, owner, tag" .value=${x.q} @input=${(e: Event) => set('q', value(e))} />
    </div>
    ${sel('owner', 'Owner', [['', 'Any owner'], ...owners.map((o): [string, string] => [o, o])])}
    ${sel('tag', 'Tag', [['', 'Any tag'], ...tags.map((t): [string, string] => [t, t])])}
    ${sel('state', 'State', [['', 'Any state'], ['live', 'Serving'], ['killed', 'Killed'], ['paused', 'Paused'], ['stale', `Stale (unused ${STALE_DAYS} days)`]])}
    ${sel('stage', 'Stage', [['', 'Any stage'], ['not-started', 'Not started'], ['rolling', 'Rolling out (<100%)'], ['full', 'Fully rolled out (100%)']])}
    <span class="spacer"></span>
    <span class="count" role="status">${shown} of ${all.length} shown</span>
  </div>`;
}
