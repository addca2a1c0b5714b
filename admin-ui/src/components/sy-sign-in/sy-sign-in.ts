import { html, nothing } from 'lit';
import { decodeToken, isExpired, signIn, type Session } from '../../session.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-sign-in.styles.js';

/**
 * Paste a token to sign in. Emits `sy-signed-in` with the decoded session.
 *
 * @fires sy-signed-in - a token was accepted; `detail` is the decoded Session
 */
export class SySignIn extends SyElement {
  static override styles = [shared, styles];
  static override properties = { notice: {}, error: { state: true } };

  notice = '';
  error = '';

  private submit(e: Event): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector('textarea')!;
    const token = input.value.trim();
    const s = decodeToken(token);
    if (!s) {
      this.error = 'That is not a Switchyard token: expected a JWT (three dot-separated parts) with a subject and a role.';
      input.focus();
      return;
    }
    if (isExpired(s)) {
      this.error = `That token expired on ${new Date(s.exp!).toLocaleString()}. Issue a new one with \`npx switchyard token\`.`;
      input.focus();
      return;
    }
    this.emit<Session>('sy-signed-in', signIn(token)!);
  }

  override render() {
    return html`<form class="card" @submit=${this.submit} aria-labelledby="title">
      <h1 id="title">Sign in to Switchyard</h1>
      <p class="lead">Paste a user token. It stays in this browser tab only (session storage) and is sent to the server as a
        bearer token. Make one with <code>npx switchyard token --sub you --role pm</code>.</p>
      ${this.notice ? html`<p class="notice warn" role="status">${this.notice}</p>` : nothing}
      <div class="field">
        <label for="token">Token</label>
        <textarea id="token" name="token" autocomplete="off" spellcheck="false" required
          aria-invalid=${this.error ? 'true' : 'false'} aria-describedby="token-error"></textarea>
        <span id="token-error" class="field-error" ?hidden=${!this.error}>${this.error}</span>
      </div>
      <div class="row"><button class="primary" type="submit">Sign in</button></div>
    </form>`;
  }
}

customElements.define('sy-sign-in', SySignIn);

declare global {
  interface HTMLElementTagNameMap {
    'sy-sign-in': SySignIn;
  }
}
