import { html, nothing } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { get } from '../../api.js';
import { environments } from '../../environments.js';
import { flagState, stageLabel } from '../../format.js';
import { link } from '../../place.js';
import { store, StoreWatch } from '../../store.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-compare-board.styles.js';

interface Cell {
  stage: number;
  percent: number;
  killed: boolean;
  paused: boolean;
  planVersion: number;
}

interface Difference {
  kind: string;
  text: string;
  envs: string[];
}

/** `GET /api/environments/compare`. */
export interface CompareView {
  environments: Array<string | { key: string }>;
  flags: Array<{ key: string; envs: Record<string, Cell | undefined>; differences: Difference[] }>;
}

/**
 * The compare board: every flag's stage in each environment side by side, and what differs in
 * words ("production is 2 plan versions behind staging", "killed in production only"). Re-read
 * whenever a flag changes; only the latest read renders.
 */
export class SyCompareBoard extends SyElement {
  static override styles = [shared, styles];
  static override properties = { onlyDiffering: { state: true } };

  onlyDiffering = false;

  private readonly board = new Task(this, {
    task: (_args, { signal }) => get<CompareView>('/api/environments/compare', signal),
    args: () => [store.revisionOfAll()] as const,
  });

  constructor() {
    super();
    new StoreWatch(this);
  }

  private columns(v: CompareView) {
    const keys = v.environments.map((e) => (typeof e === 'string' ? e : e.key));
    return keys.map((k) => environments.get(k) ?? { key: k, name: k, protected: false });
  }

  private renderCell(key: string, env: { key: string; name: string }, c: Cell | undefined) {
    const st = c ? flagState({ ...c, archived: false }) : null;
    return html`<td class="env" data-env=${env.key}><span class="env-name">${env.name}: </span>
      ${c && st
        ? html`<a href=${link(`/flags/${encodeURIComponent(key)}`, env.key)}>${stageLabel({ ...c, cohortRules: 0 })}</a>
            ${st.kind === 'idle' ? nothing : html`<span class="badge ${st.kind}">${st.label}</span>`} <span class="muted small">plan v${c.planVersion}</span>`
        : html`<span class="muted">—</span>`}</td>`;
  }

  private renderBoard(v: CompareView) {
    const cols = this.columns(v);
    const rows = this.onlyDiffering ? v.flags.filter((f) => f.differences.length) : v.flags;
    return html`<div class="card table">
      <table aria-label="Flags in each environment">
        <thead><tr><th scope="col">Flag</th>${cols.map((e) => html`<th scope="col">${e.name}${e.protected ? html` <span class="prot">(protected)</span>` : nothing}</th>`)}<th scope="col">What differs</th></tr></thead>
        <tbody>${rows.map(
          (f) => html`<tr data-flag=${f.key}>
            <td><strong>${f.key}</strong></td>
            ${cols.map((e) => this.renderCell(f.key, e, f.envs[e.key]))}
            <td>${f.differences.length
              ? html`<ul class="diffs" aria-label="What differs for ${f.key}">${f.differences.map((d) => html`<li data-kind=${d.kind}>${d.text}</li>`)}</ul>`
              : html`<span class="same">The same everywhere</span>`}</td>
          </tr>`,
        )}</tbody>
      </table>
      ${rows.length ? nothing : html`<p class="empty">${v.flags.length ? 'Every flag is the same in every environment.' : 'No flags yet.'}</p>`}
    </div>`;
  }

  override render() {
    const v = this.board.value;
    return html`<div class="top">
        <div><h1>Compare environments</h1><p class="muted">Each flag's stage in every environment, and what differs.</p></div>
        <span class="spacer"></span>
        <label class="row"><input type="checkbox" .checked=${this.onlyDiffering}
          @change=${(e: Event) => (this.onlyDiffering = (e.target as HTMLInputElement).checked)} /> Only flags that differ</label>
      </div>
      ${this.board.status === TaskStatus.ERROR ? html`<p class="notice error" role="alert">Could not compare: ${(this.board.error as Error)?.message}</p>` : nothing}
      ${v ? this.renderBoard(v) : this.board.status === TaskStatus.ERROR ? nothing : html`<p class="muted" role="status">Loading…</p>`}`;
  }
}

customElements.define('sy-compare-board', SyCompareBoard);

declare global {
  interface HTMLElementTagNameMap {
    'sy-compare-board': SyCompareBoard;
  }
}
