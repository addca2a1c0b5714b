/**
 * What the sign-off dialog shows under its title: the evidence the PM is about to sign (each
 * metric check of the next stage as the gates show it now, and the plan version). The server
 * records its own snapshot of the same gates with the sign-off, and lapses the sign-off when a
 * covered check leaves pass (docs/rollouts.md).
 */
import { html, type TemplateResult } from 'lit';
import { OUTCOME_LABEL, snapshotLine, type SignoffSnapshot } from '../../evidence.js';

export function signoffEvidence(snap: SignoffSnapshot): TemplateResult {
  if (!snap.checks.length) {
    return html`<section class="snapshot" aria-label="The evidence you sign">
      <p>This stage has no metric checks: your sign-off covers plan version ${snap.planVersion}.</p>
    </section>`;
  }
  const notPass = snap.checks.filter((c) => c.outcome !== 'pass').length;
  return html`<section class="snapshot" aria-label="The evidence you sign">
    <p><strong>You sign this evidence</strong> (plan version ${snap.planVersion}, as the gates show it now). Your sign-off lapses by
      itself if a later evaluation moves one of these checks out of pass.</p>
    <ul>
      ${snap.checks.map((c) => html`<li data-outcome=${c.outcome}><strong>${OUTCOME_LABEL[c.outcome as keyof typeof OUTCOME_LABEL] ?? c.outcome}</strong> · ${snapshotLine(c)}</li>`)}
    </ul>
    ${notPass ? html`<p class="warn">${notPass} of ${snap.checks.length} checks ${notPass === 1 ? 'is' : 'are'} not a pass yet: the stage stays blocked until ${notPass === 1 ? 'it passes' : 'they pass'}.</p>` : ''}
  </section>`;
}
