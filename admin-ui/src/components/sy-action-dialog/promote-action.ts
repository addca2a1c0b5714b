/**
 * Promotion (issue 23): carry one environment's plan into another, bound to what the diff showed.
 * The diff of every candidate source is read before the dialog opens; the dialog shows the chosen
 * one's field-level changes and the gates the target will face, and sends both hashes back, so a
 * side that moved meanwhile is a 409 `promotion_stale` (the dialog then says so).
 */
import { html, nothing } from 'lit';
import { ApiFailure, get, post, query, seg } from '../../api.js';
import { environments, loudName, type Environment } from '../../environments.js';
import type { Gate, GatesView } from '../../types.js';
import type { ActionSpec } from './action-spec.js';

export interface PlanChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** `GET /api/flags/:key/promotion?from&to`. */
export interface PromotionDiff {
  from: string;
  to: string;
  changes: PlanChange[];
  sourceHash: string;
  targetHash: string;
  /** The gates the target's next stage will face under the promoted plan. */
  gates: GatesView | Gate[] | null;
  fromPlanVersion?: number;
  toPlanVersion?: number;
  /** Why this promotion cannot be made now, if it cannot (e.g. the source has no plan). */
  blocked?: string | null;
}

const promotionPath = (key: string) => `/api/flags/${seg(key)}/promotion`;

export const loadPromotion = (key: string, from: string, to: string) => get<PromotionDiff>(`${promotionPath(key)}${query({ from, to })}`);

const gatesOf = (g: PromotionDiff['gates']): Gate[] => (Array.isArray(g) ? g : (g?.gates ?? []));

const noteOf = (g: PromotionDiff['gates']) => (g && !Array.isArray(g) ? g.note : undefined);

const valueText = (v: unknown) => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

const nameOf = (key: string) => loudName(environments.get(key) ?? { key, name: key });

function renderDiff(d: PromotionDiff) {
  const gates = gatesOf(d.gates);
  return html`<div class="promotion" data-testid="promotion-diff">
    ${d.fromPlanVersion !== undefined
      ? html`<p>${nameOf(d.from)}'s plan version ${d.fromPlanVersion} becomes ${nameOf(d.to)}'s next plan version (after ${d.toPlanVersion ?? 0}).</p>`
      : nothing}
    ${d.blocked ? html`<p class="notice warn" role="status">${d.blocked}</p>` : nothing}
    ${d.changes.length
      ? html`<div class="scroll" tabindex="0" role="region" aria-label="Changes, scrollable"><table aria-label="What the promotion changes in ${nameOf(d.to)}">
          <thead><tr><th scope="col">Field</th><th scope="col">${nameOf(d.to)} now</th><th scope="col">After (from ${nameOf(d.from)})</th></tr></thead>
          <tbody>${d.changes.map((c) => html`<tr><td><code>${c.path}</code></td><td>${valueText(c.from)}</td><td>${valueText(c.to)}</td></tr>`)}</tbody>
        </table></div>`
      : html`<p class="muted">${nameOf(d.to)} already has this plan: promoting makes a new plan version with the same content.</p>`}
    <h3>Gates ${nameOf(d.to)} will face</h3>
    ${gates.length
      ? html`<sy-gate-list compact .gates=${gates}></sy-gate-list>`
      : html`<p class="muted">No gates for the next stage${noteOf(d.gates) ? html`: ${noteOf(d.gates)}` : nothing}.</p>`}
    <p class="note">Sign-offs and gates start from scratch in ${nameOf(d.to)}.</p>
  </div>`;
}

/** The environments a flag can be promoted from into `to`, the one just before it (by order) first. */
export function sourcesFor(to: string): Environment[] {
  const all = environments.active;
  const i = all.findIndex((e) => e.key === to);
  const before = all.slice(0, Math.max(i, 0)).reverse();
  const after = all.slice(i + 1);
  return [...before, ...after];
}

/** Reads the diffs and builds the dialog, or throws the read's failure. */
export async function promoteSpec(key: string, to: string): Promise<ActionSpec> {
  const sources = sourcesFor(to);
  const diffs = new Map<string, PromotionDiff | ApiFailure>();
  await Promise.all(
    sources.map(async (e) => {
      diffs.set(e.key, await loadPromotion(key, e.key, to).catch((err: unknown) => (err instanceof ApiFailure ? err : new ApiFailure(0, 'error', String(err)))));
    }),
  );
  const first = sources[0]?.key;
  return {
    title: `Promote ${key} into ${nameOf(to)}`,
    intro: `Copies the plan of the environment you choose into ${nameOf(to)} as its next plan version. Nothing else moves: ${nameOf(to)} keeps its stage.`,
    choice: { label: 'Promote from', options: sources.map((e) => ({ value: e.key, label: e.name })), value: first },
    preview: (choice) => {
      const d = diffs.get(choice ?? first ?? '');
      if (!d) return html`<p class="muted">Choose an environment.</p>`;
      return d instanceof ApiFailure ? html`<p class="notice error" role="alert">Could not compare: ${d.message}</p>` : renderDiff(d);
    },
    fieldLabel: 'Reason (recorded in the audit trail)',
    fieldHint: 'For example: "held 25% in staging for a day, eval scores flat".',
    submitLabel: `Promote into ${nameOf(to)}`,
    danger: !!environments.get(to)?.protected,
    async run(reason, choice) {
      const from = choice ?? first;
      const d = from ? diffs.get(from) : undefined;
      if (!from || !d || d instanceof ApiFailure) throw new ApiFailure(400, 'no_diff', 'There is no diff to promote: close this dialog and open it again.');
      try {
        await post(promotionPath(key), { from, to, sourceHash: d.sourceHash, targetHash: d.targetHash, reason });
      } catch (err) {
        if (err instanceof ApiFailure && err.code === 'promotion_stale') {
          // Show what is true now: the next attempt is bound to the new diff.
          diffs.set(from, await loadPromotion(key, from, to).catch((e: unknown) => e as ApiFailure));
          throw new ApiFailure(409, err.code, `${err.message} The diff above now shows the latest plans; check it and promote again.`);
        }
        throw err;
      }
      return { message: `Promoted ${key} from ${nameOf(from)} into ${nameOf(to)}: a new plan version there, its sign-offs and gates from scratch.` };
    },
  };
}
