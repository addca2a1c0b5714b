import { link } from '../../place.js';
import { AuditAction } from '@switchyard-flags/sdk/api';
import { html, nothing } from 'lit';
import { ago, dateTime } from '../../format.js';
import type { AuditEntry } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { diff } from './diff.js';
import { styles } from './sy-audit-list.styles.js';

const LABEL: Record<string, string> = {
  [AuditAction.FlagCreate]: 'Created flag',
  [AuditAction.FlagUpdate]: 'Edited flag',
  [AuditAction.FlagArchive]: 'Archived flag',
  [AuditAction.FlagUnarchive]: 'Unarchived flag',
  [AuditAction.FlagKill]: 'Killed',
  [AuditAction.FlagRestore]: 'Restored',
  [AuditAction.PlanUpdate]: 'Edited plan',
  [AuditAction.RolloutSignoff]: 'Signed off',
  [AuditAction.RolloutAdvance]: 'Advanced',
  [AuditAction.RolloutRollback]: 'Rolled back',
  [AuditAction.RolloutPause]: 'Paused rollout',
  [AuditAction.RolloutResume]: 'Resumed rollout',
  [AuditAction.RolloutGuardrailTrip]: 'Guardrail tripped',
  [AuditAction.RolloutAutoAdvanceBlocked]: 'Auto-advance blocked',
  [AuditAction.SdkKeyCreate]: 'Issued SDK key',
  [AuditAction.SdkKeyRevoke]: 'Revoked SDK key',
};

function tone(action: string): string {
  if (/kill|guardrail|revoke/.test(action)) return 'killed';
  if (/pause|rollback|blocked/.test(action)) return 'paused';
  if (/advance|restore|resume|signoff/.test(action)) return 'live';
  return 'idle';
}

/** Audit entries, newest first, each with who, what, why, when and a before/after diff. */
/** The environment of a flag action (issue 23), null for the server's own actions and older entries. */
const envOf = (e: AuditEntry) => (e as AuditEntry & { environment?: string | null }).environment ?? null;

export class SyAuditList extends SyElement {
  static override styles = [shared, styles];
  static override properties = { entries: { attribute: false }, showFlag: { type: Boolean, attribute: 'show-flag' } };

  entries: AuditEntry[] = [];
  showFlag = false;

  private renderDiff(e: AuditEntry) {
    const changes = diff(e.before, e.after);
    if (!changes.length) return nothing;
    return html`<details>
      <summary>${changes.length} field${changes.length === 1 ? '' : 's'} changed</summary>
      <table aria-label="Changes in entry ${e.seq}">
        <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
        <tbody>${changes.map((c) => html`<tr><th scope="row">${c.field}</th><td class="b">${c.before}</td><td class="a">${c.after}</td></tr>`)}</tbody>
      </table>
    </details>`;
  }

  override render() {
    if (!this.entries.length) return html`<p class="note">No audit entries.</p>`;
    return html`<ol aria-label="Audit entries">
      ${this.entries.map(
        (e) => html`<li class="entry" data-seq=${e.seq} data-action=${e.action}>
          <div class="when"><div title=${e.at}>${dateTime(e.at)}</div><div>${ago(e.at)}</div><div class="seq">#${e.seq}</div></div>
          <div>
            <div class="head">
              <span class="badge ${tone(e.action)}">${LABEL[e.action] ?? e.action}</span>
              ${this.showFlag && e.flag ? html`<a href=${link(`/flags/${encodeURIComponent(e.flag)}`)}>${e.flag}</a>` : nothing}
              ${envOf(e) ? html`<span class="tag" data-env=${envOf(e)!}>in ${envOf(e)}</span>` : nothing}
              <span>by <span class="who">${e.actor}</span> <span class="role">${e.role}</span></span>
              <code class="muted small">${e.action}</code>
            </div>
            ${e.reason ? html`<div class="reason">${e.reason}</div>` : nothing}
            ${this.renderDiff(e)}
          </div>
        </li>`,
      )}
    </ol>`;
  }
}

customElements.define('sy-audit-list', SyAuditList);

declare global {
  interface HTMLElementTagNameMap {
    'sy-audit-list': SyAuditList;
  }
}
