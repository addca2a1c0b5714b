import { html, nothing } from 'lit';
import { archiveSpec, unarchiveSpec } from '../sy-action-dialog/flag-actions.js';
import { dateTime, duration, json } from '../../format.js';
import { whyNot, type Session } from '../../session.js';
import type { FlagView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec } from '../sy-action-dialog/action-spec.js';
import type { SyFlagEdit } from '../sy-flag-edit/sy-flag-edit.js';
import { styles } from './sy-flag-details.styles.js';

/**
 * A flag's details (values, owner, version, dates), with Edit and Archive for the roles that may,
 * and Unarchive for admins on an archived flag.
 * Archive emits `sy-open-action` (the page owns the dialog); the edit form emits `sy-flag-saved`
 * and, when the flag changed under you, `sy-conflict`.
 *
 * @fires sy-open-action - Archive or Unarchive was chosen; `detail` is its ActionSpec
 */
export class SyFlagDetails extends SyElement {
  static override styles = [shared, styles];
  static override properties = { flag: { attribute: false }, session: { attribute: false } };

  flag: FlagView | null = null;
  session: Session | null = null;

  private edit(e: Event): void {
    void this.renderRoot.querySelector<SyFlagEdit>('sy-flag-edit')!.open(e.currentTarget as HTMLElement);
  }

  override render() {
    const f = this.flag;
    if (!f) return nothing;
    const why = whyNot(this.session, 'editFlags') || (f.archived ? 'An archived flag cannot be edited.' : '');
    const whyArchive = why || (f.killed ? 'A killed flag cannot be archived: restore it or keep it killed.' : '');
    const whyUnarchive = whyNot(this.session, 'unarchive');
    return html`<section class="card" aria-labelledby="details-h">
      <div class="head">
        <h2 id="details-h">Details</h2>
        <button class="small" ?disabled=${!!why} aria-describedby=${why ? 'edit-why' : nothing} @click=${this.edit}>Edit details…</button>
      </div>
      <dl>
        <dt>Serves when on</dt><dd><span class="value">${json(f.on)}</span></dd>
        <dt>Serves when off</dt><dd><span class="value">${json(f.off)}</span></dd>
        <dt>Owner</dt><dd>${f.owner}</dd>
        <dt>Tags</dt><dd>${f.tags.length ? f.tags.map((t) => html`<span class="tag">${t}</span> `) : html`<span class="muted">none</span>`}</dd>
        <dt>Fail-safe lease</dt><dd>${f.maxStaleSeconds
          ? `off after ${duration(f.maxStaleSeconds * 1000)} without the server`
          : html`<span class="muted">none (last-known value forever)</span>`}</dd>
        <dt>Version</dt><dd>${f.version}</dd>
        <dt>Created</dt><dd>${dateTime(f.createdAt)} by ${f.createdBy}</dd>
        <dt>Stage since</dt><dd>${f.stageStartedAt ? dateTime(f.stageStartedAt) : '—'}</dd>
      </dl>
      <div class="foot">
        ${f.archived
          ? html`<button class="small unarchive" ?disabled=${!!whyUnarchive} aria-describedby=${whyUnarchive ? 'unarchive-why' : nothing}
              @click=${() => this.emit<ActionSpec>('sy-open-action', unarchiveSpec(f))}>Unarchive flag…</button>
            ${whyUnarchive ? html`<span class="note" id="unarchive-why">${whyUnarchive}</span>` : nothing}`
          : html`<button class="small ghost archive" ?disabled=${!!whyArchive} aria-describedby=${why ? 'edit-why' : whyArchive ? 'archive-why' : nothing}
              @click=${() => this.emit<ActionSpec>('sy-open-action', archiveSpec(f))}>Archive flag…</button>`}
        ${why ? html`<span class="note" id="edit-why">${why}</span>` : nothing}
        ${whyArchive && !why ? html`<span class="note" id="archive-why">${whyArchive}</span>` : nothing}
      </div>
      <sy-flag-edit .flag=${f}></sy-flag-edit>
    </section>`;
  }
}

customElements.define('sy-flag-details', SyFlagDetails);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-details': SyFlagDetails;
  }
}
