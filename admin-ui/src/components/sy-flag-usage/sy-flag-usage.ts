import { html, nothing } from 'lit';
import { get, query, seg } from '../../api.js';
import { ago, dateTime } from '../../format.js';
import type { FlagView, UsageView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { styles } from './sy-flag-usage.styles.js';
import { WINDOWS, count, nothingYet, plural, reached, stageName } from './usage-text.js';

/** How often the card re-reads the counts while it is on screen. */
export const USAGE_REFRESH_MS = 30_000;

/**
 * The Usage card: per stage, how many evaluations the SDKs served (on / off / fallback) and
 * when the flag was last evaluated (`GET /api/flags/:key/usage`). Re-read when the flag changes
 * (its version or state version), when the window changes, and every 30 s while shown.
 */
export class SyFlagUsage extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    flag: { attribute: false },
    usage: { state: true },
    problem: { state: true },
    days: { state: true },
  };

  flag: FlagView | null = null;
  usage: UsageView | null = null;
  problem = '';
  /** '' for all time, else a number of days. */
  days = '';
  private loaded = '';
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.requestUpdate(); // re-read after being re-attached
    this.timer = setInterval(() => {
      if (!document.hidden) void this.load();
    }, USAGE_REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.loaded = '';
  }

  override willUpdate(): void {
    const f = this.flag;
    if (!f) return;
    const what = `${f.key}\n${f.version}\n${f.stateVersion}\n${this.days}`;
    if (what === this.loaded) return;
    if (this.usage?.key !== f.key) this.usage = null;
    this.loaded = what;
    void this.load();
  }

  async load(): Promise<void> {
    const f = this.flag;
    if (!f) return;
    const seq = ++this.seq;
    try {
      const u = await get<UsageView>(`/api/flags/${seg(f.key)}/usage${query({ days: this.days })}`);
      if (seq !== this.seq) return; // a newer read is on its way
      this.usage = u;
      this.problem = '';
    } catch (e) {
      if (seq === this.seq) this.problem = `Could not load usage: ${(e as Error).message}`;
    }
  }

  private renderTable(u: UsageView) {
    // Focusable: on a phone the table scrolls sideways, and a keyboard must be able to scroll it.
    return html`<div class="table" tabindex="0" role="region" aria-label="Evaluations per stage, scrollable"><table aria-label="Evaluations per stage">
      <thead><tr>
        <th scope="col">Stage</th><th scope="col" class="n">Evaluations</th><th scope="col" class="n">On</th>
        <th scope="col" class="n">Off</th><th scope="col" class="n">Fallback</th><th scope="col">Last evaluated</th><th scope="col">Users served on</th>
      </tr></thead>
      <tbody>${u.stages.map(
        (s) => html`<tr class=${s.stage === u.stage ? 'current' : ''} data-stage=${s.stage}>
          <td>${stageName(s)}${s.stage === u.stage ? html` <span class="muted small">(current)</span>` : nothing}</td>
          <td class="n">${count(s.evaluations)}</td><td class="n">${count(s.on)}</td>
          <td class="n">${count(s.off)}</td><td class="n">${count(s.fallback)}</td>
          <td><span title=${dateTime(s.lastEvaluatedAt)}>${ago(s.lastEvaluatedAt)}</span></td>
          <td data-usage="users">${s.users === null ? html`<span class="muted" title="No server-side SDK reported users at this stage">—</span>` : html`${reached(s.users)} <span class="muted small">(from server-side SDKs)</span>`}</td>
        </tr>`,
      )}</tbody>
    </table></div>`;
  }

  private renderBody(u: UsageView | null) {
    if (!u) return this.problem ? nothing : html`<p class="muted" role="status">Loading usage…</p>`;
    if (u.evaluations === 0) return html`<p class="muted" data-usage="none">${nothingYet(u.days)}</p>`;
    return html`<p class="total" data-usage="total"><strong>${plural(u.evaluations, 'evaluation')}</strong>
        ${u.days === null ? 'in all' : `in the last ${plural(u.days, 'day')}`}${u.users === null ? nothing : html` · <span data-usage="users-total">${reached(u.users)} served on</span>`} · last evaluated
        <span title=${dateTime(u.lastEvaluatedAt)}>${ago(u.lastEvaluatedAt)}</span></p>
      ${this.renderTable(u)}`;
  }

  override render() {
    if (!this.flag) return nothing;
    return html`<section class="card" aria-labelledby="usage-h">
      <div class="head">
        <h2 id="usage-h">Usage</h2>
        <label class="sr-only" for="usage-days">Usage window</label>
        <select id="usage-days" .value=${this.days} @change=${(e: Event) => (this.days = (e.target as HTMLSelectElement).value)}>
          ${WINDOWS.map(([v, l]) => html`<option value=${v} ?selected=${this.days === v}>${l}</option>`)}
        </select>
      </div>
      <p class="note">Evaluations the SDKs served, per stage of the plan. These count evaluations, not distinct users:
        one user checked ten times counts ten. On: the flag's on value; off: its off value (outside the cohort or the
        rollout, killed, not started); fallback: the default passed in code. SDKs report about once a minute.
        Users served on: an estimate (±13% typical) of the distinct user keys served the on value, each counted once,
        reported by server-side (Node) SDKs only: a browser app serves one user and does not report it.</p>
      ${this.problem ? html`<p class="notice error" role="alert">${this.problem}</p>` : nothing}
      ${this.renderBody(this.usage)}
    </section>`;
  }
}

customElements.define('sy-flag-usage', SyFlagUsage);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-usage': SyFlagUsage;
  }
}
