import { html, nothing } from 'lit';
import { ApiFailure } from '../../api.js';
import { store } from '../../store.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { renderResult, type ActionResult } from './action-result.js';
import type { ActionSpec } from './action-spec.js';
import { styles } from './sy-action-dialog.styles.js';

export { reachText, type ActionResult } from './action-result.js';
export type { ActionSpec } from './action-spec.js';

function deepActive(): HTMLElement | null {
  let a = document.activeElement;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
  return a as HTMLElement | null;
}

/**
 * A modal that asks for a reason (and optionally a confirmation), runs the action, shows the
 * server's answer (errors inline) and, for kill and restore, the acknowledgements as they
 * arrive. Focus is trapped inside and returned to the opener on close.
 *
 * @fires sy-action-done - the action ran; `detail` is its ActionResult (what the dialog shows)
 * @fires sy-conflict - the server answered version_conflict; `detail` is the ApiFailure (the page reloads the flag)
 * @fires sy-action-failed - the action failed otherwise; `detail` is the ApiFailure (shown inline too)
 */
export class SyActionDialog extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    spec: { state: true },
    busy: { state: true },
    error: { state: true },
    result: { state: true },
    confirmed: { state: true },
    choice: { state: true },
  };

  spec: ActionSpec | null = null;
  busy = false;
  error: ApiFailure | null = null;
  result: ActionResult | null = null;
  confirmed = false;
  choice: string | undefined = undefined;
  private opener: HTMLElement | null = null;
  private unsub: (() => void) | undefined;

  private get dialog(): HTMLDialogElement {
    return this.renderRoot.querySelector('dialog')!;
  }

  /** Opens the dialog for an action; from a result's follow-up, focus still returns to the first opener. */
  async open(spec: ActionSpec): Promise<void> {
    if (!this.spec) this.opener = deepActive();
    this.unsub?.();
    this.unsub = undefined;
    this.spec = spec;
    this.error = null;
    this.result = null;
    this.confirmed = false;
    this.choice = spec.choice?.value ?? spec.choice?.options[0]?.value;
    this.busy = false;
    await this.updateComplete;
    const form = this.renderRoot.querySelector('form');
    form?.reset();
    if (!this.dialog.open) this.dialog.showModal();
    this.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }

  close(): void {
    if (this.dialog?.open) this.dialog.close();
  }

  private onClose(): void {
    this.unsub?.();
    this.unsub = undefined;
    this.spec = null;
    this.opener?.focus();
    this.opener = null;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsub?.();
  }

  private trap(e: KeyboardEvent): void {
    if (e.key !== 'Tab') return;
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('button, textarea, input, select, [tabindex="0"]')].filter(
      (el) => !(el as HTMLButtonElement).disabled && el.offsetParent !== null,
    );
    if (!items.length) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = this.renderRoot instanceof ShadowRoot ? this.renderRoot.activeElement : null;
    if (e.shiftKey && active === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const spec = this.spec;
    if (!spec || this.busy) return;
    const text = this.renderRoot.querySelector('textarea')!.value.trim();
    const choice = this.choice;
    if (!text) {
      this.error = new ApiFailure(400, 'invalid_body', `${spec.fieldLabel} is required.`);
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      const result = await spec.run(text, choice);
      this.result = result;
      this.emit('sy-action-done', result);
      if (result.key && result.propagation) this.follow(result.key, result.stateVersion);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLButtonElement>('.result button')?.focus();
    } catch (err) {
      this.error = err instanceof ApiFailure ? err : new ApiFailure(0, 'error', String(err));
      if (this.error.code === 'version_conflict') this.emit('sy-conflict', this.error);
      else this.emit('sy-action-failed', this.error);
    } finally {
      this.busy = false;
    }
  }

  /** Keeps the delivery figures current from the admin stream's propagation messages. */
  private follow(key: string, stateVersion: number | undefined): void {
    this.unsub?.();
    this.unsub = store.on('propagation', (m) => {
      if (m.key !== key || !this.result) return;
      if (stateVersion !== undefined && m.stateVersion < stateVersion) return;
      const { connected, applied, pending, slowestMs, replicas, ofrep, unresponsive } = m;
      this.result = { ...this.result, propagation: { connected, applied, pending, slowestMs, replicas, ofrep, unresponsive } };
    });
  }

  private renderForm(s: ActionSpec) {
    const err = this.error;
    const blocked = !!s.confirm && !this.confirmed;
    return html`<form @submit=${this.submit} novalidate>
      ${s.intro ? html`<p class="intro">${s.intro}</p>` : nothing}
      ${s.choice
        ? html`<div class="field">
            <label for="choice">${s.choice.label}</label>
            <select id="choice" @change=${(e: Event) => (this.choice = (e.target as HTMLSelectElement).value)}>
              ${s.choice.options.map((o) => html`<option value=${o.value} ?selected=${o.value === this.choice}>${o.label}</option>`)}</select>
          </div>`
        : nothing}
      ${s.preview ? html`<div class="preview" aria-live="polite">${s.preview(this.choice)}</div>` : nothing}
      <div class="field">
        <label for="text">${s.fieldLabel}</label>
        <textarea id="text" required maxlength="1000" aria-describedby="hint" aria-invalid=${err?.status === 400 ? 'true' : 'false'}></textarea>
        ${s.fieldHint ? html`<span id="hint" class="note">${s.fieldHint}</span>` : nothing}
      </div>
      ${s.confirm
        ? html`<label class="confirm"><input type="checkbox" .checked=${this.confirmed}
              @change=${(e: Event) => (this.confirmed = (e.target as HTMLInputElement).checked)} />${s.confirm}</label>`
        : nothing}
      ${err
        ? html`<div class="notice error" role="alert">
            ${err.message}
            ${err.code === 'gates_not_met' ? html`<sy-gate-list compact .gates=${(err.details as { gates?: [] })?.gates ?? []}></sy-gate-list>` : nothing}
          </div>`
        : nothing}
      <div class="actions">
        <button type="button" @click=${() => this.close()}>Cancel</button>
        <button type="submit" class=${s.danger ? 'danger' : 'primary'} ?disabled=${this.busy || blocked}
          aria-describedby=${blocked ? 'why' : nothing}>${this.busy ? 'Working…' : s.submitLabel}</button>
      </div>
      ${blocked ? html`<span id="why" class="note">Tick the confirmation to enable “${s.submitLabel}”.</span>` : nothing}
    </form>`;
  }

  override render() {
    const s = this.spec;
    return html`<dialog aria-labelledby="dlg-title" @close=${this.onClose} @keydown=${this.trap}>
      ${s
        ? html`<div class="head ${s.danger ? 'danger' : ''}">
              <span class="icon" aria-hidden="true">${s.danger ? '!' : '→'}</span>
              <h2 id="dlg-title">${s.title}</h2>
            </div>
            ${this.result ? renderResult(this.result, () => this.close(), (next) => void this.open(next)) : this.renderForm(s)}`
        : nothing}
    </dialog>`;
  }
}

customElements.define('sy-action-dialog', SyActionDialog);

declare global {
  interface HTMLElementTagNameMap {
    'sy-action-dialog': SyActionDialog;
  }
}
