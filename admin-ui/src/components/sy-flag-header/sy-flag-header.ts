import { html, nothing } from 'lit';
import { killSpec, restoreSpec } from '../sy-action-dialog/flag-actions.js';
import { ago, flagState, json, pct, stageLabel } from '../../format.js';
import { powerIcon } from '../../icons.js';
import { whyNot, type Session } from '../../session.js';
import type { FlagView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec } from '../sy-action-dialog/action-spec.js';
import { styles } from './sy-flag-header.styles.js';

/**
 * A flag's name, state in words and colour, and the kill switch (or Restore), always visible.
 * Emits `sy-open-action` with the action to run; the page owns the dialog.
 *
 * @fires sy-open-action - the kill switch or Restore was pressed; `detail` is its ActionSpec
 */
export class SyFlagHeader extends SyElement {
  static override styles = [shared, styles];
  static override properties = { flag: { attribute: false }, session: { attribute: false } };

  flag: FlagView | null = null;
  session: Session | null = null;

  override render() {
    const f = this.flag;
    if (!f) return nothing;
    const st = flagState(f);
    const killWhy = whyNot(this.session, 'kill');
    return html`<div class="card hero ${f.killed ? 'killed' : ''}">
      <div>
        <div class="title"><h1>${f.key}</h1><span class="badge ${st.kind}" data-testid="flag-state">${st.label}</span>
          ${f.killed && f.paused ? html`<span class="badge paused">Paused</span>` : nothing}</div>
        ${f.description ? html`<p class="desc">${f.description}</p>` : nothing}
        <div class="meta">
          <span>Stage <strong>${stageLabel(f)}</strong>${f.stages ? ` (stage ${f.stage} of ${f.stages})` : ''}</span>
          <span>Owner <strong>${f.owner}</strong></span>
          <span>Changed <strong title=${f.updatedAt}>${ago(f.updatedAt)}</strong> by ${f.updatedBy}</span>
          ${f.tags.length ? html`<span>${f.tags.map((t) => html`<span class="tag">${t}</span> `)}</span>` : nothing}
        </div>
      </div>
      <div class="kill">
        <button class=${f.killed ? 'primary' : 'danger'} ?disabled=${!!killWhy} aria-describedby="kill-why"
          @click=${() => this.emit<ActionSpec>('sy-open-action', f.killed ? restoreSpec(f) : killSpec(f))}>${f.killed ? 'Restore flag…' : html`${powerIcon} Kill switch`}</button>
        <span class="note" id="kill-why">${killWhy || (f.killed ? 'Restoring returns the flag to its rollout stage.' : 'Serves the off value to everyone, at once.')}</span>
      </div>
    </div>
    ${f.killed
      ? html`<p class="notice error" role="status"><strong>Killed</strong> by ${f.killedBy ?? 'someone'} ${ago(f.killedAt)}${f.killReason ? html`: “${f.killReason}”` : nothing}. Every user gets the off value (<code>${json(f.off)}</code>).</p>`
      : nothing}
    ${f.paused
      ? html`<p class="notice warn" role="status"><strong>Paused</strong> by ${f.pausedBy ?? 'someone'} ${ago(f.pausedAt)}${f.pauseReason ? html`: “${f.pauseReason}”` : nothing}. It keeps serving ${pct(f.percent)} but will not advance until resumed.</p>`
      : nothing}`;
  }
}

customElements.define('sy-flag-header', SyFlagHeader);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-header': SyFlagHeader;
  }
}
