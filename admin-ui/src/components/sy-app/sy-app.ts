import { html, nothing } from 'lit';
import { UNAUTHORIZED_EVENT } from '../../api.js';
import { connection } from '../../connection.js';
import { adoptTokenFromHash, can, currentSession, isExpired, signOut, type Session } from '../../session.js';
import { environments } from '../../environments.js';
import { link, parsePlace } from '../../place.js';
import { store } from '../../store.js';
import { startPolling, stream } from '../../stream.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-app.styles.js';

/** A page, and the environment chosen in the URL (null: the server's default). */
type Route = ({ page: 'flags' } | { page: 'flag'; key: string } | { page: 'audit' } | { page: 'keys' } | { page: 'compare' }) & { env: string | null };

function parseRoute(hash: string): Route {
  const { env, parts } = parsePlace(hash);
  if (parts[0] === 'flags' && parts[1]) return { page: 'flag', key: parts[1], env };
  if (parts[0] === 'audit') return { page: 'audit', env };
  if (parts[0] === 'keys') return { page: 'keys', env };
  if (parts[0] === 'compare') return { page: 'compare', env };
  return { page: 'flags', env };
}

function titleOf(r: Route): string {
  const name = r.page === 'flag' ? r.key : r.page === 'audit' ? 'Audit trail' : r.page === 'keys' ? 'SDK keys' : r.page === 'compare' ? 'Compare environments' : 'Flags';
  return `${name} · Switchyard`;
}

/** The first h1 under `root`, looking inside shadow roots (pages render theirs after loading). */
function findHeading(root: Element | ShadowRoot): HTMLElement | null {
  const direct = root.querySelector('h1');
  if (direct) return direct;
  for (const el of root.querySelectorAll('*')) {
    const found = el.shadowRoot ? findHeading(el.shadowRoot) : null;
    if (found) return found;
  }
  return null;
}

const LOGO = html`<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="#7b93ff" stroke-width="2.2" stroke-linecap="round">
  <path d="M3 7h8l5 10h5" /><path d="M3 17h8" /><path d="M16 7h5" /><circle cx="11" cy="7" r="1.6" fill="#7b93ff" />
</svg>`;

/** The shell: sign-in, navigation, the offline banner and the routed page. */
export class SyApp extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { state: true },
    route: { state: true },
    notice: { state: true },
  };

  session: Session | null = null;
  route: Route = { page: 'flags', env: null };
  notice = '';
  private stopPolling: (() => void) | undefined;

  private focusRun = 0;

  private readonly onHash = () => {
    this.route = parseRoute(location.hash);
    window.scrollTo(0, 0);
    void this.focusHeading();
  };

  /**
   * After a route change: focus the new page's main heading (screen readers announce it, the
   * keyboard starts there). Pages render their heading once loaded, so look for up to 5 s.
   */
  private async focusHeading(): Promise<void> {
    const run = ++this.focusRun;
    const key = location.hash;
    await this.updateComplete;
    for (let i = 0; i < 300 && run === this.focusRun; i++) {
      const main = this.renderRoot.querySelector('main');
      const h = main ? findHeading(main) : null;
      if (h && location.hash === key) {
        if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
        h.focus({ preventScroll: true });
        return;
      }
      await new Promise((r) => requestAnimationFrame(r));
    }
  }

  override updated(): void {
    if (this.session) document.title = titleOf(this.route);
    else document.title = 'Sign in · Switchyard';
  }
  private readonly onConnection = () => this.requestUpdate();
  private readonly onEnvironments = () => this.requestUpdate();
  private readonly onUnauthorized = () => {
    this.notice = 'The server rejected your token (expired or revoked). Paste a new one to continue.';
    this.doSignOut();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    adoptTokenFromHash();
    const s = currentSession();
    if (s && isExpired(s)) {
      this.notice = 'Your token has expired. Paste a new one to continue.';
      signOut();
    } else this.session = s;
    this.route = parseRoute(location.hash);
    window.addEventListener('hashchange', this.onHash);
    window.addEventListener(UNAUTHORIZED_EVENT, this.onUnauthorized);
    connection.addEventListener('change', this.onConnection);
    environments.addEventListener('change', this.onEnvironments);
    this.stopPolling = startPolling();
    if (this.session) this.startData();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
    window.removeEventListener(UNAUTHORIZED_EVENT, this.onUnauthorized);
    connection.removeEventListener('change', this.onConnection);
    environments.removeEventListener('change', this.onEnvironments);
    this.stopPolling?.();
    this.stopData();
  }

  private startData(): void {
    store.start();
    stream.start();
  }

  private stopData(): void {
    stream.stop();
    store.stop();
  }

  private signedIn(e: CustomEvent<Session>): void {
    this.session = e.detail;
    this.notice = '';
    if (!location.hash.startsWith('#/')) history.replaceState(null, '', '#/flags');
    this.route = parseRoute(location.hash);
    this.startData();
  }

  private doSignOut(): void {
    signOut();
    this.stopData();
    this.session = null;
  }

  private liveText(): { cls: string; text: string } {
    if (connection.offline) return { cls: 'off', text: 'Offline' };
    switch (connection.stream) {
      case 'live':
        return { cls: 'on', text: 'Live updates' };
      case 'unavailable':
        return { cls: '', text: 'Refreshing every 15 s' };
      default:
        return { cls: '', text: 'Connecting…' };
    }
  }

  private renderPage() {
    const s = this.session!;
    if (!can(s, 'read')) {
      return html`<div class="card center stack" role="status">
        <h1>Nothing to see here</h1>
        <p>You are signed in as <strong>${s.sub}</strong> with the <strong>${s.role}</strong> role. That role can only report
          metrics through the API (<code>POST /api/metrics</code>); it cannot read flags in the admin UI.</p>
      </div>`;
    }
    const r = this.route;
    const env = r.env ? environments.get(r.env) : undefined;
    if (r.env && environments.list !== null && (!env || env.archived)) {
      // Never show the default environment's state under another's name.
      return html`<div class="card center stack" role="alert">
        <h1>No environment "${r.env}"</h1>
        <p>${env ? 'It is archived.' : 'The server has no environment by that key.'} Choose one in the switcher above, or
          <a href=${link('/flags', null)}>go to the flags of the default environment</a>.</p>
      </div>`;
    }
    switch (r.page) {
      case 'flag':
        return html`<sy-flag-page .session=${s} .env=${r.env} .flagKey=${r.key}></sy-flag-page>`;
      case 'audit':
        return html`<sy-audit-page .session=${s}></sy-audit-page>`;
      case 'keys':
        return html`<sy-sdk-keys .session=${s}></sy-sdk-keys>`;
      case 'compare':
        return html`<sy-compare-board></sy-compare-board>`;
      default:
        return html`<sy-flag-list .session=${s} .env=${r.env}></sy-flag-list>`;
    }
  }

  override render() {
    if (!this.session) {
      return html`<main><sy-sign-in class="center" .notice=${this.notice} @sy-signed-in=${this.signedIn}></sy-sign-in></main>`;
    }
    const s = this.session;
    const page = this.route.page === 'flag' ? 'flags' : this.route.page;
    const live = this.liveText();
    const env = this.route.env;
    return html`
      <header>
        <a class="brand" href=${link('/flags', env)} aria-label="Switchyard, flags">${LOGO}<span>Switchyard</span></a>
        <nav aria-label="Main">
          <a href=${link('/flags', env)} aria-current=${page === 'flags' ? 'page' : nothing}>Flags</a>
          <a href=${link('/audit', env)} aria-current=${page === 'audit' ? 'page' : nothing}>Audit trail</a>
          <a href=${link('/keys', env)} aria-current=${page === 'keys' ? 'page' : nothing}>SDK keys</a>
          ${environments.active.length > 1 ? html`<a href=${link('/compare', env)} aria-current=${page === 'compare' ? 'page' : nothing}>Compare</a>` : nothing}
        </nav>
        <span class="spacer"></span>
        <div class="who">
          <span class="live ${live.cls}" role="status" aria-label="Connection: ${live.text}">${live.text}</span>
          <span>Signed in as <strong>${s.sub}</strong></span>
          <span class="role" title="Your role">${s.role}</span>
          <button class="small" @click=${() => this.doSignOut()}>Sign out</button>
        </div>
      </header>
      ${connection.offline
        ? html`<div class="banner" role="alert" data-testid="offline-banner">
            <span aria-hidden="true">⚠</span>
            <span>Offline: the server is unreachable. Showing the last known state; reconnecting automatically.</span>
            <span class="spacer"></span>
            <button class="small" @click=${() => void connection.check()}>Retry now</button>
          </div>`
        : nothing}
      <sy-env-switcher class="envbar" .env=${env}></sy-env-switcher>
      <main>${this.renderPage()}</main>
    `;
  }
}

customElements.define('sy-app', SyApp);

declare global {
  interface HTMLElementTagNameMap {
    'sy-app': SyApp;
  }
}
