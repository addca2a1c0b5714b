import { html, nothing } from 'lit';
import { environments, type Environment } from '../../environments.js';
import { inEnv } from '../../place.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-env-switcher.styles.js';

/**
 * The environment switcher, always in view under the header: which environment every page and
 * action works on. A protected one (production) is set apart in red and named so in words.
 * Choosing another keeps the page and puts the environment in the URL (`#/env/staging/...`).
 * A server without environments (404) shows none.
 */
export class SyEnvSwitcher extends SyElement {
  static override styles = [shared, styles];
  static override properties = { env: { attribute: false } };

  /** The environment chosen in the URL; null: the server's default. */
  env: string | null = null;

  private readonly onChange = () => this.requestUpdate();

  override connectedCallback(): void {
    super.connectedCallback();
    environments.addEventListener('change', this.onChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    environments.removeEventListener('change', this.onChange);
  }

  private choose(e: Event): void {
    const key = (e.target as HTMLSelectElement).value;
    location.hash = inEnv(location.hash, key);
  }

  private note(e: Environment) {
    if (e.protected) return 'Protected: changes reach real users; every rollout rule holds here.';
    return e.requireSignoff ? 'Not protected.' : 'Not protected: engineers may advance without a PM sign-off.';
  }

  override render() {
    const all = environments.active;
    if (!all.length) return nothing;
    const key = this.env ?? environments.defaultKey;
    const current = all.find((e) => e.key === key);
    return html`<div class="bar ${current?.protected ? 'protected' : ''}" role="region" aria-label="Environment switcher" data-testid="env-switcher" data-env=${current?.key ?? ''}>
      <label for="env">Environment</label>
      <select id="env" @change=${this.choose}>
        ${current ? nothing : html`<option value="" selected disabled>${key} (unknown)</option>`}
        ${all.map((e) => html`<option value=${e.key} ?selected=${e.key === current?.key}>${e.name}${e.protected ? ' (protected)' : ''}</option>`)}
      </select>
      ${current
        ? html`<span class="kind">${current.protected ? 'Protected' : 'Not protected'}</span><span class="note">${this.note(current)}</span>`
        : html`<span class="note" role="alert">There is no environment "${key}". Choose one.</span>`}
    </div>`;
  }
}

customElements.define('sy-env-switcher', SyEnvSwitcher);

declare global {
  interface HTMLElementTagNameMap {
    'sy-env-switcher': SyEnvSwitcher;
  }
}
