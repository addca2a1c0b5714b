/** What a bulk action's result shows: the flags it changed or left alone, and how far each change reached. */
import { html, nothing } from 'lit';
import type { Propagation as WirePropagation } from '@switchyard-flags/sdk/protocol';
import { reachText, type ActionResult } from './action-result.js';
import type { Propagation } from '../../types.js';

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The flags an action changed or left alone; with delivery figures, how far each change reached. */
export function keyList(label: string, keys: string[], testid: string, reach?: Record<string, WirePropagation>) {
  if (!keys.length) return nothing;
  const item = (k: string) => {
    const p = reach?.[k];
    return p ? html`<li><span class="mono">${k}</span> <span class="muted small">· ${reachText(p)}</span></li>` : html`<li class="mono">${k}</li>`;
  };
  return html`<div class="flag-list" data-testid=${testid}><strong>${label} (${keys.length})</strong>
    <ul aria-label=${label} tabindex="0">${keys.map(item)}</ul></div>`;
}

/** How long a bulk action waits for SDK acknowledgements before answering. */
export const WAIT_MS = 2000;

/**
 * The dialog's delivery summary for a bulk action: the SDKs that applied every change. An SDK
 * acknowledges a global version, so the one that applied the latest change applied them all:
 * the dialog follows that change live (`key`, `stateVersion`).
 */
export function delivery(reach: Record<string, WirePropagation> | undefined, scope: string): Pick<ActionResult, 'propagation' | 'reachScope' | 'key' | 'stateVersion'> {
  const ps = Object.values(reach ?? {});
  if (!ps.length) return {};
  const last = ps.reduce((a, b) => (b.stateVersion > a.stateVersion ? b : a));
  const slowest = ps.map((p) => p.slowestMs).filter((ms): ms is number => ms !== null && ms !== undefined);
  const applied = Math.min(...ps.map((p) => p.applied));
  const connected = Math.max(...ps.map((p) => p.connected));
  // OFREP streams are told of every change: the latest one's count is the current one.
  const propagation: Propagation = { connected, applied, pending: connected - applied, slowestMs: slowest.length ? Math.max(...slowest) : null, ofrep: last.ofrep };
  return { propagation, reachScope: ps.length > 1 ? scope : undefined, key: last.key, stateVersion: last.stateVersion };
}
