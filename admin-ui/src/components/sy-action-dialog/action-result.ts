/** What an action dialog shows once the action ran: the outcome, lists of what changed, and delivery. */
import { html, nothing, type TemplateResult } from 'lit';
import type { Propagation } from '../../types.js';
import type { ActionSpec } from './action-spec.js';
import { replicaLines } from './replica-lines.js';
import '../sy-counted-apart/sy-counted-apart.js';

export interface ActionResult {
  message: string;
  /** More about the outcome, under the message (e.g. which flags a bulk kill changed). */
  detail?: TemplateResult;
  /** Delivery figures of the change, when the server waited for acknowledgements. */
  propagation?: Propagation;
  /** What the figures cover when it is not one flag, e.g. "Every killed flag" for a bulk kill. */
  reachScope?: string;
  /** Live propagation updates for this flag and state version are shown as they arrive. */
  key?: string;
  stateVersion?: number;
  /** A follow-up action offered beside "Done" (e.g. "Undo this kill"), opened in the same dialog. */
  next?: { label: string; spec: ActionSpec };
}

/**
 * The browser apps on OFREP event streams, told to re-fetch (they send no acknowledgement, so
 * they are counted apart from the SDKs that applied the change): "3 browser apps (OFREP ...)".
 */
export function browserAppsText(p: Propagation): string {
  const n = p.ofrep?.streams ?? 0;
  if (n === 0) return '';
  return `${n} browser ${n === 1 ? 'app' : 'apps'} (OFREP event ${n === 1 ? 'stream' : 'streams'}, told to re-fetch)`;
}

/** Text for delivery figures: "Reached 3 of 3 connected SDKs in 38 ms, and 340 browser apps (OFREP event streams, told to re-fetch)". */
export function reachText(p: Propagation): string {
  const apps = browserAppsText(p);
  if (p.connected === 0) return apps ? `No SDK is connected right now; reached ${apps}` : 'No SDK is connected right now: apps get this change when they connect';
  const ms = p.slowestMs === null || p.slowestMs === undefined ? '' : ` in ${Math.round(p.slowestMs)} ms`;
  const pending = p.pending > 0 ? ` (${p.pending} still pending)` : '';
  return `Reached ${p.applied} of ${p.connected} connected SDKs${ms}${pending}${apps ? `, and ${apps}` : ''}`;
}

export function renderResult(r: ActionResult, done: () => void, open: (spec: ActionSpec) => void) {
  const p = r.propagation;
  const share = p && p.connected > 0 ? Math.round((p.applied / p.connected) * 100) : 100;
  return html`<div class="result">
    <p class="notice ok" role="status">${r.message}</p>
    ${r.detail ?? nothing}
    ${p
      ? html`<div class="reach" aria-live="polite" data-testid="propagation">
          <strong>${r.reachScope ? `${r.reachScope}: ` : ''}${reachText(p)}</strong>
          ${p.connected > 0
            ? html`<div class="meter" role="img" aria-label="${share}% of connected SDKs acknowledged"><span style="width:${share}%"></span></div>`
            : nothing}
          ${p.replicas && p.replicas.length > 1
            ? html`<ul class="replicas small" data-testid="replicas">${replicaLines(p.replicas).map((l) => html`<li class=${l.gone ? 'muted' : ''}>${l.text}</li>`)}</ul>`
            : nothing}
          <sy-counted-apart .propagation=${p}></sy-counted-apart>
          <span class="note">${p.connected > 0
            ? 'Acknowledgements keep arriving live while this dialog is open.'
            : 'The change is stored: an SDK gets it as soon as it connects. This updates live while the dialog is open.'}</span>
        </div>`
      : nothing}
    <div class="actions">
      ${r.next ? html`<button @click=${() => open(r.next!.spec)}>${r.next.label}</button>` : nothing}
      <button class="primary" @click=${done}>Done</button>
    </div>
  </div>`;
}
