import { html, nothing } from 'lit';
import { ApiFailure, api, get, seg } from '../../api.js';
import { ago } from '../../format.js';
import type { FlagView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { FIELDS, LABELS, changedUnder, readPatch, shown, type Field } from './flag-edit-form.js';
import { styles } from './sy-flag-edit.styles.js';

interface Conflict {
  latest: FlagView;
  changes: ReturnType<typeof changedUnder>;
}

/**
 * Edits a flag's description, owner, tags and values (`PATCH /api/flags/:key` with the version it
 * started from). Server field errors show next to their fields. When someone changed the flag
 * first, it says so, shows the latest values and keeps your edits for a second, informed save.
 *
 * @fires sy-flag-saved - the PATCH succeeded; `detail` is the saved FlagView
 * @fires sy-conflict - the flag changed under the edit (version_conflict); `detail` is the ApiFailure
 */
export class SyFlagEdit extends SyElement {
  static override styles = [shared, styles];
  static override properties = { flag: { attribute: false }, opened: { state: true }, error: { state: true }, local: { state: true }, conflict: { state: true }, busy: { state: true } };

  flag: FlagView | null = null;
  /** The form is drawn only while the dialog is open. */
  opened = false;
  error: ApiFailure | null = null;
  local: Partial<Record<Field, string>> = {};
  conflict: Conflict | null = null;
  busy = false;
  /** The version the form edits: the flag when opened, or the latest after a conflict. */
  private base: FlagView | null = null;
  private opener: HTMLElement | null = null;

  private get dialog(): HTMLDialogElement {
    return this.renderRoot.querySelector('dialog')!;
  }

  private el(name: string): HTMLInputElement {
    return this.renderRoot.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
  }

  async open(opener?: HTMLElement): Promise<void> {
    if (!this.flag) return;
    this.opener = opener ?? null;
    this.base = this.flag;
    Object.assign(this, { opened: true, error: null, local: {}, conflict: null, busy: false });
    await this.updateComplete;
    for (const k of FIELDS) this.el(k).value = shown(this.flag, k);
    this.el('reason').value = '';
    this.dialog.showModal();
  }

  private errorFor(k: string): string {
    const server = this.error?.fields.filter((f) => f.path === k || f.path.startsWith(`${k}.`)).map((f) => f.message) ?? [];
    return [this.local[k as Field], ...server].filter(Boolean).join('; ');
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    const base = this.base;
    if (!base || this.busy) return;
    const { patch, errors } = readPatch(base, (k) => this.el(k).value);
    this.local = errors;
    this.error = null;
    if (Object.keys(errors).length) return;
    if (!Object.keys(patch).length) {
      this.error = new ApiFailure(400, 'nothing_changed', 'Nothing changed: edit a field first, or cancel.');
      return;
    }
    const reason = this.el('reason').value.trim();
    this.busy = true;
    try {
      const flag = await api<FlagView>('PATCH', `/api/flags/${seg(base.key)}`, { version: base.version, ...patch, ...(reason ? { reason } : {}) });
      this.conflict = null;
      this.dialog.close();
      this.emit('sy-flag-saved', flag);
    } catch (err) {
      this.error = err instanceof ApiFailure ? err : new ApiFailure(0, 'error', String(err));
      if (this.error.code === 'version_conflict') await this.onConflict(base);
    } finally {
      this.busy = false;
    }
  }

  /** Loads the latest flag; the next save starts from it, with the edits still in the form. */
  private async onConflict(base: FlagView): Promise<void> {
    const err = this.error!;
    this.emit('sy-conflict', err);
    try {
      const latest = await get<FlagView>(`/api/flags/${seg(base.key)}`);
      // Fields you did not touch take the latest values, so saving again keeps others' changes.
      for (const k of FIELDS) if (this.el(k).value === shown(base, k)) this.el(k).value = shown(latest, k);
      this.conflict = { latest, changes: changedUnder(base, latest) };
      this.base = latest;
      this.error = null;
    } catch {
      // Keep the server's message; the next save will say again.
    }
  }

  private renderConflict(c: Conflict) {
    const l = c.latest;
    return html`<div class="notice warn" role="alert" data-testid="edit-conflict">
      <p><strong>This flag changed under you.</strong> ${l.updatedBy} changed it ${ago(l.updatedAt)} (now version ${l.version}).</p>
      ${c.changes.length
        ? html`<table aria-label="Latest values">
            <thead><tr><th scope="col">Field</th><th scope="col">When you opened it</th><th scope="col">Latest</th></tr></thead>
            <tbody>${c.changes.map((x) => html`<tr><th scope="row">${LABELS[x.field]}</th><td>${x.before || '—'}</td><td>${x.after || '—'}</td></tr>`)}</tbody>
          </table>`
        : html`<p>None of these fields changed (the change was elsewhere, e.g. its rollout or kill switch).</p>`}
      <p>Your edits are still in the form; fields you did not edit now show the latest values. Save again to apply your edits to the latest version, or cancel.</p>
    </div>`;
  }

  override render() {
    return html`<dialog aria-labelledby="edit-title" @close=${this.onClose}>${this.opened ? this.renderForm() : nothing}</dialog>`;
  }

  private readonly onClose = () => {
    this.opened = false;
    this.opener?.focus();
  };

  private renderForm() {
    const field = (k: Field | 'reason', label: string, kind: 'input' | 'textarea' | 'value' = 'input') => {
      const err = this.errorFor(k);
      const control =
        kind === 'input'
          ? html`<input id="edit-${k}" name=${k} aria-invalid=${err ? 'true' : 'false'} aria-describedby="edit-err-${k}" />`
          : html`<textarea id="edit-${k}" name=${k} class=${kind === 'value' ? 'value' : ''} rows=${kind === 'value' ? 2 : 3}
              aria-invalid=${err ? 'true' : 'false'} aria-describedby="edit-err-${k}"></textarea>`;
      return html`<div class="field"><label for="edit-${k}">${label}</label>${control}
        ${err ? html`<span class="field-error" id="edit-err-${k}">${err}</span>` : nothing}</div>`;
    };
    return html`<form @submit=${this.save} novalidate>
        <h2 id="edit-title">Edit ${this.flag?.key ?? 'flag'}</h2>
        ${this.conflict ? this.renderConflict(this.conflict) : nothing}
        ${field('description', LABELS.description, 'textarea')}
        <div class="two">${field('owner', LABELS.owner)}${field('tags', 'Tags (comma-separated)')}</div>
        <div class="two">${field('on', 'Value when on (JSON)', 'value')}${field('off', 'Value when off (JSON)', 'value')}</div>
        ${field('maxStaleSeconds', 'Fail-safe lease: seconds an SDK may go without hearing from the server before it serves the off value (empty: none)')}
        ${field('reason', 'Reason (optional, recorded in the audit trail)')}
        ${this.error ? html`<p class="notice error" role="alert">${this.error.message}</p>` : nothing}
        <div class="actions">
          <button type="button" @click=${() => this.dialog.close()}>Cancel</button>
          <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Saving…' : this.conflict ? 'Save over the latest version' : 'Save changes'}</button>
        </div>
      </form>`;
  }
}

customElements.define('sy-flag-edit', SyFlagEdit);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-edit': SyFlagEdit;
  }
}
