import { html, nothing } from 'lit';
import { ApiFailure, download, get, query } from '../../api.js';
import type { Session } from '../../session.js';
import { Task } from '@lit/task';
import { environments } from '../../environments.js';
import { store, StoreWatch } from '../../store.js';
import type { AuditEntry, VerifyResult } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-audit-page.styles.js';

interface Filter {
  environment: string;
  flag: string;
  actor: string;
  action: string;
  from: string;
  to: string;
}

const iso = (local: string) => (local ? new Date(local).toISOString() : '');

/** The whole audit trail: filter, paginate, export, and whether the hash chain holds. */
export class SyAuditPage extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { attribute: false },
    entries: { state: true },
    next: { state: true },
    verify: { state: true },
    error: { state: true },
    live: { state: true },
    filter: { state: true },
  };

  session: Session | null = null;
  entries: AuditEntry[] | null = null;
  next: string | null = null;
  verify: VerifyResult | null = null;
  error = '';
  live = 0;
  filter: Filter = { environment: '', flag: '', actor: '', action: '', from: '', to: '' };
  private unsubs: Array<() => void> = [];

  /** The first page for the filter, re-read on every resync; only the latest read is applied. */
  private readonly reads = new Task(this, {
    task: ([q], { signal }) => get<{ entries: AuditEntry[]; next: string | null }>(`/api/audit${q}`, signal),
    args: () => [this.params({ limit: 50 }), store.revision()] as const,
    onComplete: (r) => {
      this.entries = r.entries;
      this.next = r.next;
      this.error = '';
      void this.check();
    },
    onError: (e) => {
      if (!(e instanceof DOMException && e.name === 'AbortError')) this.error = (e as ApiFailure).message;
    },
  });

  constructor() {
    super();
    new StoreWatch(this, () => []);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubs.push(
      store.on('audit', (m) => {
        if (!this.entries) return;
        const f = this.filter;
        const env = (m.entry as AuditEntry & { environment?: string | null }).environment ?? '';
        const fits = (!f.environment || env === f.environment) && (!f.flag || m.entry.flag === f.flag) && (!f.actor || m.entry.actor === f.actor) && (!f.action || m.entry.action.startsWith(f.action)) && !f.to;
        if (fits && !this.entries.some((e) => e.seq === m.entry.seq)) this.entries = [m.entry, ...this.entries];
        this.live++;
        void this.check();
      }),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubs.forEach((u) => u());
  }

  private params(extra: Record<string, string | number | null> = {}) {
    const f = this.filter;
    return query({ environment: f.environment, flag: f.flag, actor: f.actor, action: f.action, from: iso(f.from), to: iso(f.to), ...extra });
  }

  private async check(): Promise<void> {
    try {
      this.verify = await get<VerifyResult>('/api/audit/verify');
    } catch {
      // shown as unknown
    }
  }

  private async more(): Promise<void> {
    const q = this.params({ limit: 50 });
    const r = await get<{ entries: AuditEntry[]; next: string | null }>(`/api/audit${this.params({ limit: 50, cursor: this.next })}`);
    if (q !== this.params({ limit: 50 })) return; // the filter changed meanwhile
    this.entries = [...(this.entries ?? []), ...r.entries];
    this.next = r.next;
  }

  private apply(e: Event): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const v = (n: keyof Filter) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
    const env = (form.elements.namedItem('environment') as HTMLSelectElement | null)?.value ?? '';
    this.filter = { environment: env, flag: v('flag'), actor: v('actor'), action: v('action'), from: v('from'), to: v('to') };
  }

  private async exportAs(format: 'jsonl' | 'csv'): Promise<void> {
    try {
      await download(`/api/audit/export${this.params({ format })}`, `switchyard-audit.${format}`);
    } catch (e) {
      this.error = (e as ApiFailure).message;
    }
  }

  private renderVerify() {
    const v = this.verify;
    if (!v) return html`<p class="notice info" role="status">Checking the audit chain…</p>`;
    return v.ok
      ? html`<p class="notice ok verify" role="status" data-testid="chain-status"><strong>✓ Chain verified:</strong> ${v.count} entries, none altered or removed.
          <span class="chain" title="Hash of the newest entry">head ${v.head.slice(0, 12)}…</span></p>`
      : html`<p class="notice error verify" role="alert" data-testid="chain-status"><strong>✕ Chain broken</strong> at entry #${v.firstBad}: ${v.problem}.
          ${v.count} entries before it verify.</p>`;
  }

  override render() {
    const f = this.filter;
    const field = (name: Exclude<keyof Filter, 'environment'>, label: string, type = 'text', placeholder = '') => html`<div class="field">
      <label for="a-${name}">${label}</label><input id="a-${name}" name=${name} type=${type} .value=${f[name]} placeholder=${placeholder} />
    </div>`;
    return html`
      <div class="top">
        <div><h1>Audit trail</h1><p class="muted">Every change, who made it, when and why. Append-only and hash-chained.</p></div>
        <span class="spacer"></span>
        <button @click=${() => void this.exportAs('jsonl')}>Export JSONL</button>
        <button @click=${() => void this.exportAs('csv')}>Export CSV</button>
      </div>
      ${this.renderVerify()}
      <form class="card" @submit=${this.apply} role="search" aria-label="Filter audit entries">
        ${environments.active.length > 1
          ? html`<div class="field"><label for="a-environment">Environment</label><select id="a-environment" name="environment">
              <option value="" ?selected=${!f.environment}>Any</option>
              ${environments.active.map((e) => html`<option value=${e.key} ?selected=${f.environment === e.key}>${e.name}</option>`)}</select></div>`
          : nothing}
        ${field('flag', 'Flag', 'text', 'support-draft')}
        ${field('actor', 'Actor', 'text', 'alice')}
        ${field('action', 'Action', 'text', 'flag.kill or rollout.')}
        ${field('from', 'From', 'datetime-local')}
        ${field('to', 'To', 'datetime-local')}
        <button class="primary" type="submit">Apply filters</button>
      </form>
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      <div class="card">
        ${this.entries === null ? html`<p class="muted">Loading…</p>` : html`<sy-audit-list show-flag .entries=${this.entries}></sy-audit-list>`}
        ${this.next ? html`<div class="row" style="margin-top:0.8rem"><button @click=${() => void this.more()}>Load older entries</button></div>` : nothing}
      </div>
    `;
  }
}

customElements.define('sy-audit-page', SyAuditPage);

declare global {
  interface HTMLElementTagNameMap {
    'sy-audit-page': SyAuditPage;
  }
}
