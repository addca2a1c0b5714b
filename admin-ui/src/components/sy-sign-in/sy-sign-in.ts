import { html, nothing } from 'lit';
import { decodeToken, isExpired, lastWasSession, loginHref, resumeSession, signIn, signInProvider, type Provider, type Session } from '../../session.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-sign-in.styles.js';

/** The runbook section the break-glass token is described in (the server's own pages name it too). */
const RUNBOOK = 'docs/runbook.md, section 17 "Break-glass"';

/**
 * Sign in: "Sign in with <provider>" when the server has an identity provider (a browser that
 * already has a live session — another tab signed in — goes straight in), and a pasted token,
 * the break-glass way in when the provider is down. Emits `sy-signed-in` with the session.
 *
 * @fires sy-signed-in - a session or token was accepted; `detail` is the Session
 */
export class SySignIn extends SyElement {
  static override styles = [shared, styles];
  static override properties = { notice: {}, error: { state: true }, provider: { state: true }, checking: { state: true } };

  notice = '';
  error = '';
  provider: Provider | null = null;
  checking = true;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.check();
  }

  private async check(): Promise<void> {
    const [provider, session] = await Promise.all([signInProvider(), resumeSession()]);
    this.provider = provider;
    this.checking = false;
    if (session) this.emit<Session>('sy-signed-in', session);
  }

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

  private tokenForm(open: boolean) {
    const form = html`<form @submit=${this.submit} class="stack">
      <p class="lead">Paste a user token. It stays in this browser tab only (session storage) and is sent to the server as a
        bearer token. Make one with <code>npx switchyard token --sub you --role pm</code>.</p>
      <div class="field">
        <label for="token">Token</label>
        <textarea id="token" name="token" autocomplete="off" spellcheck="false" required
          aria-invalid=${this.error ? 'true' : 'false'} aria-describedby="token-error"></textarea>
        <span id="token-error" class="field-error" ?hidden=${!this.error}>${this.error}</span>
      </div>
      <div class="row"><button class=${open ? 'primary' : ''} type="submit">${open ? 'Sign in' : 'Sign in with the token'}</button></div>
    </form>`;
    return open ? form : html`<details class="break-glass" ?open=${!this.provider?.reachable}><summary>Break-glass: paste a token</summary>${form}</details>`;
  }

  override render() {
    const p = this.provider;
    return html`<section class="card stack" aria-labelledby="title">
      <h1 id="title">Sign in to Switchyard</h1>
      ${this.notice
        ? html`<p class="notice warn" role="status">${lastWasSession() ? 'Your session has ended (signed out elsewhere, unused too long, expired or ended by an admin). Sign in again.' : this.notice}</p>`
        : nothing}
      ${p
        ? html`<a class="btn primary sso" href=${loginHref(p)}>Sign in with ${p.name}</a>
            ${p.reachable
              ? nothing
              : html`<p class="notice error" role="alert">The identity provider ${p.name} is unreachable, so nobody can sign in with it right now.
                  Sessions already open keep working. Break-glass: someone with shell access runs
                  <code>switchyard token --role oncall --ttl 2h</code> and you paste the token below (${RUNBOOK}).</p>`}`
        : nothing}
      ${this.checking ? nothing : this.tokenForm(!p)}
    </section>`;
  }
}

customElements.define('sy-sign-in', SySignIn);

declare global {
  interface HTMLElementTagNameMap {
    'sy-sign-in': SySignIn;
  }
}
