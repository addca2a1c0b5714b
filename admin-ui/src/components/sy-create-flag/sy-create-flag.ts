import { link } from '../../place.js';
import { html, nothing } from 'lit';
import { ApiFailure, post } from '../../api.js';
import type { FlagView, Json } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-create-flag.styles.js';

function parseValue(s: string): Json {
  try {
    return JSON.parse(s) as Json;
  } catch {
    return s;
  }
}

/** A modal form that creates a flag; server field errors show next to their fields. */
export class SyCreateFlag extends SyElement {
  static override styles = [shared, styles];
  static override properties = { error: { state: true } };

  error: ApiFailure | null = null;

  /** Opens the form; the flag page of the new flag opens on success. */
  open(): void {
    this.error = null;
    const d = this.renderRoot.querySelector<HTMLDialogElement>('dialog')!;
    d.querySelector('form')!.reset();
    d.showModal();
  }

  private async create(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
    const body = {
      key: v('key'),
      owner: v('owner'),
      description: v('description'),
      tags: v('tags') ? v('tags').split(',').map((t) => t.trim()).filter(Boolean) : [],
      on: parseValue(v('on') || 'true'),
      off: parseValue(v('off') || 'false'),
    };
    try {
      const f = await post<FlagView>('/api/flags', body);
      (form.closest('dialog') as HTMLDialogElement).close();
      location.hash = link(`/flags/${encodeURIComponent(f.key)}`);
    } catch (err) {
      this.error = err as ApiFailure;
    }
  }

  private fieldError(name: string) {
    const m = this.error?.fields.find((f) => f.path === name);
    return m ? html`<span class="field-error" id="err-${name}">${m.message}</span>` : nothing;
  }

  override render() {
    const input = (name: string, label: string, attrs: { required?: boolean; placeholder?: string } = {}) => html`<div class="field">
      <label for="new-${name}">${label}</label>
      <input id="new-${name}" name=${name} ?required=${attrs.required} placeholder=${attrs.placeholder ?? ''}
        aria-invalid=${this.error?.fields.some((f) => f.path === name) ? 'true' : 'false'} aria-describedby="err-${name}" />
      ${this.fieldError(name)}
    </div>`;
    return html`<dialog id="create" aria-labelledby="create-title">
      <form @submit=${this.create} novalidate>
        <h2 id="create-title">New flag</h2>
        ${input('key', 'Key', { required: true, placeholder: 'support-draft' })}
        ${input('owner', 'Owner', { required: true, placeholder: 'ai-eng@acme.com' })}
        ${input('description', 'Description')}
        ${input('tags', 'Tags (comma-separated)', { placeholder: 'ai, support' })}
        <div class="two">${input('on', 'Value when on (JSON)', { placeholder: 'true' })}${input('off', 'Value when off (JSON)', { placeholder: 'false' })}</div>
        ${this.error ? html`<p class="notice error" role="alert">${this.error.message}</p>` : nothing}
        <div class="row" style="justify-content:flex-end">
          <button type="button" @click=${(e: Event) => ((e.target as HTMLElement).closest('dialog') as HTMLDialogElement).close()}>Cancel</button>
          <button class="primary" type="submit">Create flag</button>
        </div>
      </form>
    </dialog>`;
  }

}

customElements.define('sy-create-flag', SyCreateFlag);

declare global {
  interface HTMLElementTagNameMap {
    'sy-create-flag': SyCreateFlag;
  }
}
