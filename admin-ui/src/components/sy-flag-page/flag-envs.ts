/** The flag in every environment, side by side (each a link to its page there), and promotion into the chosen one. */
import { html, nothing } from 'lit';
import { environments, loudName } from '../../environments.js';
import { sourcesFor } from '../sy-action-dialog/promote-action.js';
import { envStates } from '../../flag-env.js';
import { flagState, stageLabel } from '../../format.js';
import { link } from '../../place.js';
import type { FlagView } from '../../types.js';

export function renderFlagEnvs(f: FlagView, env: string | null) {
  const states = envStates(f);
  const all = environments.active;
  if (all.length < 2 || !Object.keys(states).length) return nothing;
  const chosen = env ?? environments.defaultKey;
  return html`<nav class="envs card" aria-label="${f.key} in each environment"><ul>
    ${all.map((e) => {
      const s = states[e.key];
      const st = s ? flagState({ ...s, archived: f.archived }) : null;
      return html`<li class=${e.protected ? 'protected' : ''} data-env=${e.key}><a href=${link(`/flags/${encodeURIComponent(f.key)}`, e.key)}
          aria-current=${e.key === chosen ? 'page' : nothing}><strong>${e.name}</strong>
        ${s && st ? html`<span>${stageLabel({ ...s, cohortRules: f.cohortRules })}</span> ${st.kind === 'idle' ? nothing : html`<span class="badge ${st.kind}">${st.label}</span>`}` : html`<span class="muted">—</span>`}</a></li>`;
    })}
  </ul></nav>`;
}

/** "Promote into PRODUCTION…": with several environments, beside "Edit plan" (a PM's action). */
export function renderPromote(env: string | null, why: string, promote: (to: string) => void) {
  const to = environments.get(env ?? environments.defaultKey);
  if (!to || !sourcesFor(to.key).length) return nothing;
  return html`<button ?disabled=${!!why} aria-describedby=${why ? 'plan-why' : nothing} @click=${() => promote(to.key)}>Promote into ${loudName(to)}…</button>`;
}
