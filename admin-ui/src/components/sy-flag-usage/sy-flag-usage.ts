import { html, nothing } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { get, query } from '../../api.js';
import { flagPath } from '../../place.js';
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
    env: { attribute: false },
    days: { state: true },
    clock: { state: true },
  };

  flag: FlagView | null = null;
  /** The environment chosen in the URL; null: the server's default. */
  env: string | null = null;
  /** '' for all time, else a number of days. */
  days = '';
  clock = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** One read per (environment, flag, version, state version, window, tick); only the latest renders. */
  private readonly usage = new Task(this, {
    task: ([env, key, , , days], { signal }) => (key ? get<UsageView>(`${flagPath(key, 'usage', env)}${query({ days })}`, signal) : null),
    args: () => [this.env, this.flag?.key, this.flag?.version, this.flag?.stateVersion, this.days, this.clock] as const,
  });

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => {
      if (!document.hidden) this.clock++;
    }, USAGE_REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  /** The latest answer if it is this flag's: a read for another flag still on its way shows "Loading". */
  private current(): UsageView | null {
    const u = this.usage.value;
    return u && u.key === this.flag?.key ? u : null;
  }

  private get problem(): string {
    return this.usage.status === TaskStatus.ERROR ? `Could not load usage: ${(this.usage.error as Error)?.message}` : '';
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
      ${this.renderBody(this.current())}
    </section>`;
  }
}

customElements.define('sy-flag-usage', SyFlagUsage);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-usage': SyFlagUsage;
  }
}
