import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { Task } from '@lit/task';
import { get } from '../../api.js';
import { can, whyNot, type Session } from '../../session.js';
import { environments, inEnvTitle } from '../../environments.js';
import { envStates, flagInEnv, mergeStreamed, streamedEnv } from '../../flag-env.js';
import { store, StoreWatch } from '../../store.js';
import type { FlagListItem, FlagListPage, StaleFlag } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec, SyActionDialog } from '../sy-action-dialog/sy-action-dialog.js';
import { NO_FILTERS, matches, renderFilters, type Filters } from './flag-filters.js';
import { renderFlagRow } from './flag-row.js';
import { loadFlagList, pageUrl } from './flag-list-data.js';
import { styles } from './sy-flag-list.styles.js';

const byKey = (flags: FlagListItem[]) => flags.sort((a, b) => a.key.localeCompare(b.key));

/** Every flag (a page at a time, "Load more" for the rest): search, filters, stage and state at a glance (stale ones marked), a kill switch on each row, and kill by tag. */
export class SyFlagList extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { attribute: false },
    env: { attribute: false },
    flags: { state: true },
    filters: { state: true },
    loadError: { state: true },
    stale: { state: true },
    next: { state: true },
    loadingMore: { state: true },
  };

  session: Session | null = null;
  /** The flags loaded so far, page by page (GET /api/flags pages in key order, long values left out). */
  flags: FlagListItem[] | null = null;
  /** The cursor of the next page; null once every flag is loaded. */
  next: string | null = null;
  loadingMore = false;
  filters: Filters = { ...NO_FILTERS };
  loadError = '';
  /** Flags no SDK evaluated for 30 days, by key; empty when that list could not be read. */
  stale = new Map<string, StaleFlag>();
  /** The environment chosen in the URL; null: the server's default. */
  env: string | null = null;
  private unsubs: Array<() => void> = [];

  /**
   * The list, re-read on every resync (the store's revision) or after an action of ours; a
   * stream message patches one row. Only the latest read is applied.
   */
  private readonly list = new Task(this, {
    task: async ([env], { signal }) => ({ env, ...(await loadFlagList(this.flags?.length ?? 0, signal)) }),
    args: () => [this.env, store.revision()] as const,
    onComplete: (r) => {
      this.flags = r.flags;
      this.next = r.next;
      this.stale = r.stale;
      this.loadError = '';
    },
    onError: (e) => {
      if (!(e instanceof DOMException && e.name === 'AbortError')) this.loadError = (e as Error).message;
    },
  });

  constructor() {
    super();
    new StoreWatch(this, () => []);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubs.push(
      store.on('flag', (m) => {
        if (!this.flags) return;
        const old = this.flags.find((f) => f.key === m.flag.key);
        const rest = this.flags.filter((f) => f !== old);
        // A flag beyond the pages loaded so far comes with its page ("Load more").
        const loaded = !!old || this.next === null || m.flag.key < this.next;
        this.flags = m.flag.archived || !loaded ? rest : byKey([...rest, mergeStreamed(old, m.flag, streamedEnv(m), environments.defaultKey)]);
      }),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubs.forEach((u) => u());
    this.unsubs = [];
  }

  override updated(changed: Map<string, unknown>): void {
    // An open bulk dialog lists flags from this list: keep it current as changes stream in.
    if (changed.has('flags')) this.dialog()?.requestUpdate();
  }

  /** Re-reads the list now: the first page, and as many more as were loaded, so a reload never shrinks it. */
  load(): void {
    void this.list.run();
  }

  /** Appends the next page. */
  private readonly loadMore = async (): Promise<void> => {
    if (this.next === null || this.loadingMore) return;
    this.loadingMore = true;
    try {
      const page = await get<FlagListPage>(pageUrl(this.next));
      const seen = new Map((this.flags ?? []).map((f) => [f.key, f]));
      for (const f of page.flags) if (!seen.has(f.key)) seen.set(f.key, f);
      this.flags = byKey([...seen.values()]);
      this.next = page.next;
      this.loadError = '';
    } catch (e) {
      this.loadError = (e as Error).message;
    } finally {
      this.loadingMore = false;
    }
  };

  private dialog(): SyActionDialog | null {
    return this.renderRoot.querySelector('sy-action-dialog');
  }

  private readonly open = (spec: ActionSpec) => void this.dialog()!.open(spec);

  /** A bulk dialog's preview lists flags from this list: it loads the pages not loaded yet, and the preview follows. */
  private readonly openBulk = async (e: CustomEvent<ActionSpec>): Promise<void> => {
    this.open(e.detail);
    while (this.next !== null && !this.loadError) {
      const before = this.next;
      await this.loadMore();
      if (this.next === before) break; // another load was running: it carries on
    }
  };

  override render() {
    const all = this.flags ?? [];
    const shown = all.filter((f) => matches(f, this.filters, this.stale));
    const createWhy = whyNot(this.session, 'editFlags');
    // With several environments and a server that reports them, one column per environment.
    const envs = environments.active.length > 1 && all.some((f) => Object.keys(envStates(f)).length) ? environments.active : [];
    const chosen = this.env ?? environments.defaultKey;
    const where = inEnvTitle(this.env);
    const killed = all.filter((f) => flagInEnv(f, this.env).killed).length;
    return html`
      <div class="top">
        <div>
          <h1>Flags</h1>
          <p class="muted">${all.length} flags${this.next !== null ? ' loaded' : ''}${killed ? html` · <strong style="color:var(--sy-danger)">${killed} killed${where}</strong>` : nothing}</p>
        </div>
        <span class="spacer"></span>
        <div class="stack" style="justify-items:end;gap:0.3rem">
          <button class="primary" ?disabled=${!can(this.session, 'editFlags')} aria-describedby="create-why" @click=${() => this.renderRoot.querySelector('sy-create-flag')!.open()}>+ New flag</button>
          ${createWhy ? html`<span id="create-why" class="note">${createWhy}</span>` : nothing}
        </div>
      </div>
      <sy-bulk-kill .session=${this.session} .flags=${all.map((f) => flagInEnv(f, this.env))} .tag=${this.filters.tag} @sy-open-action=${this.openBulk}></sy-bulk-kill>
      ${renderFilters(this.filters, all, shown.length, (k, v) => (this.filters = { ...this.filters, [k]: v }))}
      ${this.loadError ? html`<p class="notice error" role="alert">Could not load flags: ${this.loadError}</p>` : nothing}
      <div class="card table">
        <table aria-label="Flags">
          <thead><tr><th scope="col">Flag</th>${envs.length
            ? envs.map((e) => html`<th scope="col" class="env ${e.key === chosen ? 'chosen' : ''}">${e.name}${e.protected ? html` <span class="prot">(protected)</span>` : nothing}</th>`)
            : html`<th scope="col">Stage</th><th scope="col">State</th>`}<th scope="col">Owner</th><th scope="col">Last change</th><th scope="col"><span class="sr-only">Kill switch${where}</span></th></tr></thead>
          <tbody>${repeat(shown, (f) => f.key, (f) => renderFlagRow(flagInEnv(f, this.env), this.session, this.open, this.stale.get(f.key), envs, chosen))}</tbody>
        </table>
        ${this.flags === null ? html`<p class="empty">Loading…</p>` : shown.length ? nothing : html`<p class="empty">${all.length ? 'No flag matches these filters.' : 'No flags yet.'}</p>`}
        ${this.next !== null
          ? html`<div class="more"><span class="note">The first ${all.length} flags by key; search and filters cover the loaded ones.</span>
              <button @click=${this.loadMore} ?disabled=${this.loadingMore}>${this.loadingMore ? 'Loading…' : 'Load more flags'}</button></div>`
          : nothing}
      </div>
      <sy-create-flag></sy-create-flag>
      <sy-action-dialog @sy-action-done=${() => this.load()}></sy-action-dialog>
    `;
  }
}

customElements.define('sy-flag-list', SyFlagList);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-list': SyFlagList;
  }
}
