import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { get } from '../../api.js';
import { killSpec, restoreSpec } from '../../actions.js';
import { powerIcon } from '../../icons.js';
import { ago, flagState, stageLabel } from '../../format.js';
import { can, whyNot, type Session } from '../../session.js';
import { onResync, onStream } from '../../stream.js';
import type { FlagView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { SyActionDialog } from '../sy-action-dialog/sy-action-dialog.js';
import { styles } from './sy-flag-list.styles.js';

interface Filters {
  q: string;
  owner: string;
  tag: string;
  state: string;
  stage: string;
}

function matches(f: FlagView, x: Filters): boolean {
  const q = x.q.trim().toLowerCase();
  if (q && !`${f.key} ${f.description} ${f.owner} ${f.tags.join(' ')}`.toLowerCase().includes(q)) return false;
  if (x.owner && f.owner !== x.owner) return false;
  if (x.tag && !f.tags.includes(x.tag)) return false;
  if (x.state === 'killed' && !f.killed) return false;
  if (x.state === 'paused' && !f.paused) return false;
  if (x.state === 'live' && (f.killed || f.paused)) return false;
  if (x.stage === 'not-started' && f.stage !== 0) return false;
  if (x.stage === 'rolling' && !(f.stage > 0 && f.percent < 100)) return false;
  if (x.stage === 'full' && f.percent !== 100) return false;
  return true;
}

/** Every flag: search, filters, stage and state at a glance, and a kill switch on each row. */
export class SyFlagList extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { attribute: false },
    flags: { state: true },
    filters: { state: true },
    loadError: { state: true },
  };

  session: Session | null = null;
  flags: FlagView[] | null = null;
  filters: Filters = { q: '', owner: '', tag: '', state: '', stage: '' };
  loadError = '';
  private unsubs: Array<() => void> = [];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.unsubs.push(
      onResync(() => void this.load()),
      onStream((m) => {
        if (m.type !== 'flag' || !this.flags) return;
        const rest = this.flags.filter((f) => f.key !== m.flag.key);
        this.flags = m.flag.archived ? rest : [...rest, m.flag].sort((a, b) => a.key.localeCompare(b.key));
      }),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubs.forEach((u) => u());
    this.unsubs = [];
  }

  async load(): Promise<void> {
    try {
      const r = await get<{ flags: FlagView[] }>('/api/flags');
      this.flags = r.flags.sort((a, b) => a.key.localeCompare(b.key));
      this.loadError = '';
    } catch (e) {
      this.loadError = (e as Error).message;
    }
  }

  private set(k: keyof Filters, e: Event): void {
    this.filters = { ...this.filters, [k]: (e.target as HTMLInputElement).value };
  }

  private dialog(): SyActionDialog {
    return this.renderRoot.querySelector('sy-action-dialog')!;
  }

  private renderRow(f: FlagView) {
    const st = flagState(f);
    const s = this.session;
    const killWhy = whyNot(s, 'kill');
    return html`<tr class=${f.killed ? 'is-killed' : ''} data-flag=${f.key}>
      <td>
        <a class="key" href="#/flags/${encodeURIComponent(f.key)}">${f.key}</a>
        ${f.description ? html`<div class="desc" title=${f.description}>${f.description}</div>` : nothing}
        ${f.tags.length ? html`<div class="tags">${f.tags.map((t) => html`<span class="tag">${t}</span>`)}</div>` : nothing}
      </td>
      <td>
        <div class="stage">
          <span>${stageLabel(f)}${f.stages ? html` <span class="muted small">· stage ${f.stage} of ${f.stages}</span>` : nothing}</span>
          <div class="bar ${f.killed ? 'killed' : ''}" aria-hidden="true"><span style="width:${f.percent}%"></span></div>
        </div>
      </td>
      <td>
        <span class="badge ${st.kind}">${st.label}</span>
        ${f.killed && f.paused ? html` <span class="badge paused">Paused</span>` : nothing}
      </td>
      <td>${f.owner}</td>
      <td><span title=${f.updatedAt}>${ago(f.updatedAt)}</span><div class="muted small">by ${f.updatedBy}</div></td>
      <td class="act">
        <button class="small ${f.killed ? '' : 'danger'}" ?disabled=${!!killWhy} title=${killWhy || (f.killed ? `Restore ${f.key}` : `Kill ${f.key}`)}
          aria-label="${f.killed ? 'Restore' : 'Kill switch for'} ${f.key}" @click=${() => void this.dialog().open(f.killed ? restoreSpec(f) : killSpec(f))}>
          ${f.killed ? 'Restore' : html`${powerIcon} Kill`}</button>
      </td>
    </tr>`;
  }

  override render() {
    const all = this.flags ?? [];
    const shown = all.filter((f) => matches(f, this.filters));
    const owners = [...new Set(all.map((f) => f.owner))].sort();
    const tags = [...new Set(all.flatMap((f) => f.tags))].sort();
    const createWhy = whyNot(this.session, 'editFlags');
    const killed = all.filter((f) => f.killed).length;
    const sel = (k: keyof Filters, label: string, opts: Array<[string, string]>) => html`<div class="field">
      <label for="f-${k}">${label}</label>
      <select id="f-${k}" .value=${this.filters[k]} @change=${(e: Event) => this.set(k, e)}>
        ${opts.map(([v, l]) => html`<option value=${v} ?selected=${this.filters[k] === v}>${l}</option>`)}
      </select>
    </div>`;
    return html`
      <div class="top">
        <div>
          <h1>Flags</h1>
          <p class="muted">${all.length} flags${killed ? html` · <strong style="color:var(--sy-danger)">${killed} killed</strong>` : nothing}</p>
        </div>
        <span class="spacer"></span>
        <div class="stack" style="justify-items:end;gap:0.3rem">
          <button class="primary" ?disabled=${!can(this.session, 'editFlags')} aria-describedby="create-why" @click=${() => this.renderRoot.querySelector('sy-create-flag')!.open()}>+ New flag</button>
          ${createWhy ? html`<span id="create-why" class="note">${createWhy}</span>` : nothing}
        </div>
      </div>
      <div class="card filters" role="search" aria-label="Filter flags">
        <div class="field">
          <label for="f-q">Search</label>
          <input id="f-q" type="search" placeholder="Key, description, owner, tag" .value=${this.filters.q} @input=${(e: Event) => this.set('q', e)} />
        </div>
        ${sel('owner', 'Owner', [['', 'Any owner'], ...owners.map((o): [string, string] => [o, o])])}
        ${sel('tag', 'Tag', [['', 'Any tag'], ...tags.map((t): [string, string] => [t, t])])}
        ${sel('state', 'State', [['', 'Any state'], ['live', 'Serving'], ['killed', 'Killed'], ['paused', 'Paused']])}
        ${sel('stage', 'Stage', [['', 'Any stage'], ['not-started', 'Not started'], ['rolling', 'Rolling out (<100%)'], ['full', '100% of cohort']])}
        <span class="spacer"></span>
        <span class="count" role="status">${shown.length} of ${all.length} shown</span>
      </div>
      ${this.loadError ? html`<p class="notice error" role="alert">Could not load flags: ${this.loadError}</p>` : nothing}
      <div class="card table">
        <table aria-label="Flags">
          <thead><tr><th scope="col">Flag</th><th scope="col">Stage</th><th scope="col">State</th><th scope="col">Owner</th><th scope="col">Last change</th><th scope="col"><span class="sr-only">Kill switch</span></th></tr></thead>
          <tbody>${repeat(shown, (f) => f.key, (f) => this.renderRow(f))}</tbody>
        </table>
        ${this.flags === null ? html`<p class="empty">Loading…</p>` : shown.length ? nothing : html`<p class="empty">${all.length ? 'No flag matches these filters.' : 'No flags yet.'}</p>`}
      </div>
      <sy-create-flag></sy-create-flag>
      <sy-action-dialog @sy-action-done=${() => void this.load()}></sy-action-dialog>
    `;
  }
}

customElements.define('sy-flag-list', SyFlagList);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-list': SyFlagList;
  }
}
