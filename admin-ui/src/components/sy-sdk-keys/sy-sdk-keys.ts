import { html, nothing } from 'lit';
import { ApiFailure, get, post, seg } from '../../api.js';
import { dateTime } from '../../format.js';
import { can, whyNot, type Session } from '../../session.js';
import type { SdkKeyView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec, SyActionDialog } from '../sy-action-dialog/sy-action-dialog.js';
import { styles } from './sy-sdk-keys.styles.js';

/** SDK keys (admin): issue one (its secret is shown once), list and revoke. */
export class SySdkKeys extends SyElement {
  static override styles = [shared, styles];
  static override properties = { session: { attribute: false }, keys: { state: true }, issued: { state: true }, error: { state: true } };

  session: Session | null = null;
  keys: SdkKeyView[] | null = null;
  issued: (SdkKeyView & { key: string }) | null = null;
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (can(this.session, 'manageKeys')) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.keys = (await get<{ keys: SdkKeyView[] }>('/api/sdk-keys')).keys;
    } catch (e) {
      this.error = (e as ApiFailure).message;
    }
  }

  private async issue(e: Event): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#key-name')!;
    const kind = this.renderRoot.querySelector<HTMLSelectElement>('#key-kind')!.value;
    try {
      this.issued = await post<SdkKeyView & { key: string }>('/api/sdk-keys', { name: input.value.trim(), kind });
      input.value = '';
      this.error = '';
      await this.load();
    } catch (err) {
      this.error = (err as ApiFailure).message;
    }
  }

  private revoke(k: SdkKeyView): void {
    const spec: ActionSpec = {
      title: `Revoke the SDK key “${k.name}”`,
      intro: 'Apps using this key are disconnected and cannot reconnect with it. Issue their new key first if they must keep working.',
      fieldLabel: 'Reason (recorded in the audit trail)',
      submitLabel: 'Revoke key',
      danger: true,
      run: async (reason) => {
        await post(`/api/sdk-keys/${seg(k.id)}/revoke`, { reason });
        return { message: `The key “${k.name}” is revoked.` };
      },
    };
    void this.renderRoot.querySelector<SyActionDialog>('sy-action-dialog')!.open(spec);
  }

  override render() {
    const why = whyNot(this.session, 'manageKeys');
    return html`
      <div><h1>SDK keys</h1><p class="muted">Apps connect with an SDK key. A <strong>server</strong> key (a backend) reads every flag's state; a <strong>client</strong> key (a browser or mobile app) gets only the answers evaluated for the user it sends, never the rules, allowlists or salts.</p></div>
      ${why ? html`<p class="notice info" role="status">${why}</p>` : nothing}
      <form class="card" @submit=${this.issue} aria-label="Issue an SDK key">
        <div class="field"><label for="key-name">Name</label><input id="key-name" required placeholder="checkout-web (production)" ?disabled=${!!why} /></div>
        <div class="field"><label for="key-kind">Kind</label><select id="key-kind" ?disabled=${!!why}><option value="server">Server (backend: full flag state)</option><option value="client">Client (browser, mobile: evaluated answers only)</option></select></div>
        <button class="primary" type="submit" ?disabled=${!!why} title=${why || nothing}>Issue key</button>
      </form>
      ${this.issued
        ? html`<div class="notice ok stack" role="status">
            <strong>Key “${this.issued.name}” issued. Copy it now: it is shown only once.</strong>
            <div class="secret"><code data-testid="new-key">${this.issued.key}</code>
              <button class="small" @click=${() => void navigator.clipboard?.writeText(this.issued!.key)}>Copy</button>
              <button class="small ghost" @click=${() => (this.issued = null)}>I have stored it</button></div>
          </div>`
        : nothing}
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      ${this.keys
        ? html`<div class="card table"><table aria-label="SDK keys">
            <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>${this.keys.map(
              (k) => html`<tr data-key=${k.id}>
                <td class="name">${k.name}</td><td class="kind">${k.kind === 'client' ? 'Client' : 'Server'}</td><td class="prefix"><code>${k.prefix}…</code></td>
                <td class="created">${dateTime(k.createdAt)} by ${k.createdBy}</td>
                <td class="status">${k.revokedAt ? html`<span class="badge killed">Revoked</span> <span class="muted small">${dateTime(k.revokedAt)}</span>` : html`<span class="badge live">Active</span>`}</td>
                <td class="act">${k.revokedAt ? nothing : html`<button class="small" aria-label="Revoke ${k.name}" @click=${() => this.revoke(k)}>Revoke…</button>`}</td>
              </tr>`,
            )}</tbody></table>
            ${this.keys.length ? nothing : html`<p class="muted" style="padding:1rem">No SDK keys yet.</p>`}</div>`
        : nothing}
      <sy-action-dialog @sy-action-done=${() => void this.load()}></sy-action-dialog>
      ${can(this.session, 'manageKeys') ? html`<sy-role-mapping .session=${this.session}></sy-role-mapping>` : nothing}
    `;
  }
}

customElements.define('sy-sdk-keys', SySdkKeys);

declare global {
  interface HTMLElementTagNameMap {
    'sy-sdk-keys': SySdkKeys;
  }
}
