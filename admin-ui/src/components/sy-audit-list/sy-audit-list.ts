import { AuditAction } from '../../../../sdk/src/api.js';
import { css, html, nothing } from 'lit';
import { ago, dateTime } from '../../format.js';
import type { AuditEntry } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { diff } from './diff.js';

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
export class SyAuditList extends SyElement {
  static override styles = [
    shared,
    css`
      ol { list-style: none; margin: 0; padding: 0; }
      li.entry { display: grid; grid-template-columns: 9.5rem 1fr; gap: 0.9rem; padding: 0.75rem 0; border-bottom: 1px solid var(--sy-border); }
      li.entry:last-child { border-bottom: none; }
      .when { font-size: 0.82rem; color: var(--sy-muted); }
      .head { display: flex; flex-wrap: wrap; gap: 0.45rem; align-items: center; }
      .who { font-weight: 600; }
      .role { font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--sy-muted); }
      .reason { margin-top: 0.2rem; color: #2f3947; }
      .reason::before { content: 'Reason: '; color: var(--sy-muted); }
      details { margin-top: 0.35rem; }
      summary { cursor: pointer; font-size: 0.82rem; color: var(--sy-accent); width: max-content; }
      table { margin-top: 0.35rem; font-size: 0.82rem; }
      th, td { padding: 0.3rem 0.5rem; vertical-align: top; }
      td { font-family: var(--sy-mono); word-break: break-word; max-width: 22rem; }
      td.b { color: #8a1c22; background: #fff5f5; }
      td.a { color: #0c5530; background: #f2fbf5; }
      .seq { font-family: var(--sy-mono); font-size: 0.75rem; color: var(--sy-muted); }
    `,
  ];
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
              ${this.showFlag && e.flag ? html`<a href="#/flags/${encodeURIComponent(e.flag)}">${e.flag}</a>` : nothing}
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
