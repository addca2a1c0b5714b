import { html, nothing } from 'lit';
import { ApiFailure, get, post } from '../../api.js';
import { can, type Session } from '../../session.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-role-mapping.styles.js';

interface RoleMapping {
  provider: { issuer: string; name: string; reachable: boolean } | null;
  claim: string;
  map: Record<string, string>;
  defaultRole: string | null;
}
interface RoleDecision {
  role: string | null;
  matched: string | null;
  claim: string;
  seen: string[];
}

/**
 * The role mapping of sign-in with the identity provider (admin): the rules in use, and a box
 * to test what role a set of claims would get before anyone signs in with them.
 */
export class SyRoleMapping extends SyElement {
  static override styles = [shared, styles];
  static override properties = { session: { attribute: false }, mapping: { state: true }, decision: { state: true }, error: { state: true } };

  session: Session | null = null;
  mapping: RoleMapping | null = null;
  decision: RoleDecision | null = null;
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (can(this.session, 'manageKeys')) void get<RoleMapping>('/api/auth/role-mapping').then((m) => (this.mapping = m), (e: ApiFailure) => (this.error = e.message));
  }

  private async test(e: Event): Promise<void> {
    e.preventDefault();
    this.error = '';
    let claims: unknown;
    try {
      claims = JSON.parse(this.renderRoot.querySelector('textarea')!.value);
    } catch {
      this.error = 'The claims must be a JSON object, e.g. {"groups": ["product"]}.';
      return;
    }
    try {
      this.decision = await post<RoleDecision>('/api/auth/role-mapping/test', { claims });
    } catch (err) {
      this.error = (err as ApiFailure).message;
    }
  }

  override render() {
    const m = this.mapping;
    if (!m) return this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing;
    const d = this.decision;
    return html`<section class="card stack" aria-labelledby="rm-title">
      <h2 id="rm-title">Sign-in roles</h2>
      <p class="muted">${m.provider ? html`Sign-in with <strong>${m.provider.name}</strong> (${m.provider.issuer})${m.provider.reachable ? '' : ': unreachable right now'}.` : 'No identity provider is configured (OIDC_ISSUER): people sign in with tokens.'}
        Roles come from the <code>${m.claim}</code> claim; the highest role any value maps to wins.</p>
      <table aria-label="Role mapping">
        <thead><tr><th scope="col">claim value</th><th scope="col">role</th></tr></thead>
        <tbody>
          ${Object.entries(m.map).map(([k, r]) => html`<tr><td><code>${k}</code></td><td>${r}</td></tr>`)}
          <tr><td>anything else</td><td>${m.defaultRole ?? 'refused'}</td></tr>
        </tbody>
      </table>
      <form class="stack" @submit=${this.test} aria-label="Test the role mapping">
        <div class="field"><label for="rm-claims">Claims to test (JSON)</label><textarea id="rm-claims" spellcheck="false">{"${m.claim.split('.')[0]}": []}</textarea></div>
        <div class="row"><button type="submit">Test</button></div>
      </form>
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      ${d ? html`<p class="notice ${d.role ? 'ok' : 'warn'}" role="status">${d.role ? html`Role <strong>${d.role}</strong>, granted by <code>${d.matched}</code>.` : 'Refused: no rule maps these claims.'} Values of <code>${d.claim}</code> seen: ${d.seen.length ? d.seen.join(', ') : 'none'}.</p>` : nothing}
    </section>`;
  }
}

customElements.define('sy-role-mapping', SyRoleMapping);

declare global {
  interface HTMLElementTagNameMap {
    'sy-role-mapping': SyRoleMapping;
  }
}
