/**
 * One row of the flag list: key, description and tags, stage, state in words (and stale), owner,
 * last change, kill switch. With several environments, one column per environment (its stage and
 * state) replaces the stage and state columns; the kill switch acts in the chosen environment.
 */
import { html, nothing } from 'lit';
import type { Environment } from '../../environments.js';
import { envStates } from '../../flag-env.js';
import { link } from '../../place.js';
import { killSpec, restoreSpec } from '../sy-action-dialog/flag-actions.js';
import { ago, flagState, stageLabel } from '../../format.js';
import { powerIcon } from '../../icons.js';
import { whyNot, type Session } from '../../session.js';
import type { FlagListItem, StaleFlag } from '../../types.js';
import type { ActionSpec } from '../sy-action-dialog/action-spec.js';
import { STALE_LABEL, staleTitle } from './stale.js';

/** A flag's stage and state in each environment: one cell per environment. */
function envCells(f: FlagListItem, envs: Environment[], chosen: string | null) {
  const states = envStates(f);
  return envs.map((e) => {
    const s = states[e.key];
    const st = s ? flagState({ ...s, archived: f.archived }) : null;
    return html`<td class="env ${e.key === chosen ? 'chosen' : ''}" data-env=${e.key}>
      <span class="env-name">${e.name}: </span>${s && st
        ? html`<span class="env-stage">${stageLabel({ ...s, cohortRules: f.cohortRules })}</span> ${st.kind === 'idle' ? nothing : html`<span class="badge ${st.kind}">${st.label}</span>`}`
        : html`<span class="muted">—</span>`}
    </td>`;
  });
}

export function renderFlagRow(f: FlagListItem, session: Session | null, open: (spec: ActionSpec) => void, stale?: StaleFlag, envs: Environment[] = [], chosen: string | null = null) {
  const st = flagState(f);
  const killWhy = whyNot(session, 'kill');
  const staleBadge = stale ? html`<div><span class="badge stale" title=${staleTitle(stale)}>${STALE_LABEL}</span></div>` : nothing;
  return html`<tr class=${f.killed ? 'is-killed' : ''} data-flag=${f.key}>
    <td>
      <a class="key" href=${link(`/flags/${encodeURIComponent(f.key)}`)}>${f.key}</a>
      ${f.description ? html`<div class="desc" title=${f.description}>${f.description}</div>` : nothing}
      ${f.tags.length ? html`<div class="tags">${f.tags.map((t) => html`<span class="tag">${t}</span>`)}</div>` : nothing}
    </td>
    ${envs.length ? html`${envCells(f, envs, chosen)}` : html`<td>
      <div class="stage">
        <span>${stageLabel(f)}${f.stages ? html` <span class="muted small">· stage ${f.stage} of ${f.stages}</span>` : nothing}</span>
        <div class="bar ${f.killed ? 'killed' : ''}" aria-hidden="true"><span style="width:${f.percent}%"></span></div>
      </div>
    </td>
    <td>
      <span class="badge ${st.kind}">${st.label}</span>
      ${f.killed && f.paused ? html` <span class="badge paused">Paused</span>` : nothing}
      ${staleBadge}
    </td>`}
    <td class="owner">${f.owner}${envs.length ? staleBadge : nothing}</td>
    <td class="changed"><span title=${f.updatedAt}>${ago(f.updatedAt)}</span><div class="muted small">by ${f.updatedBy}</div></td>
    <td class="act">
      <button class="small ${f.killed ? '' : 'danger'}" ?disabled=${!!killWhy} title=${killWhy || (f.killed ? `Restore ${f.key}` : `Kill ${f.key}`)}
        aria-label="${f.killed ? 'Restore' : 'Kill switch for'} ${f.key}" @click=${() => open(f.killed ? restoreSpec(f) : killSpec(f))}>
        ${f.killed ? 'Restore' : html`${powerIcon} Kill`}</button>
    </td>
  </tr>`;
}
