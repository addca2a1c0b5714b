import { html, nothing } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { ApiFailure } from '../../api.js';
import { environments } from '../../environments.js';
import { dateTime } from '../../format.js';
import { renderFlagEnvs, renderPromote } from './flag-envs.js';
import { promoteSpec } from '../sy-action-dialog/promote-action.js';
import { link } from '../../place.js';
import { whyNot, type Session } from '../../session.js';
import { store, StoreWatch } from '../../store.js';
import type { AuditEntry } from '../../types.js';
import { loadFlagPage, loadHistory, type FlagPageData } from './flag-page-data.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec, SyActionDialog } from '../sy-action-dialog/sy-action-dialog.js';
import { styles } from './sy-flag-page.styles.js';

/** How often the gates are re-read while the page is shown: soak times and schedules move with the clock. */
const GATES_EVERY_MS = 30_000;

/**
 * One flag in one environment: state and kill switch, rollout and gates, plan, evaluation usage,
 * details, a user preview and the history. One task reads it all for (environment, flag,
 * revision); the store moves the revision when the flag changes, and only the latest read renders.
 */
export class SyFlagPage extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { attribute: false },
    flagKey: { attribute: false },
    env: { attribute: false },
    older: { state: true },
    editing: { state: true },
    conflict: { state: true },
    clock: { state: true },
  };

  session: Session | null = null;
  flagKey = '';
  /** The environment chosen in the URL; null: the server's default. */
  env: string | null = null;
  /** Older history pages loaded by "Show older entries", for this (env, flag). */
  older: { of: string; entries: AuditEntry[]; next: string | null } | null = null;
  editing = false;
  conflict = '';
  clock = 0;
  private tick: ReturnType<typeof setInterval> | undefined;

  private readonly data = new Task(this, {
    task: ([env, key], { signal }) => loadFlagPage(env, key, signal),
    args: () => [this.env, this.flagKey, store.revision(this.flagKey), this.clock] as const,
  });

  constructor() {
    super();
    new StoreWatch(this, () => [this.flagKey]);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.tick = setInterval(() => {
      if (!document.hidden) this.clock++;
    }, GATES_EVERY_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.tick);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('flagKey') || changed.has('env')) {
      this.editing = false;
      this.conflict = '';
      this.older = null;
    }
  }

  /** The latest answer, if it is this page's (env, flag): a pending read for another one shows "Loading". */
  private current(): FlagPageData | undefined {
    const d = this.data.value;
    return d && d.key === this.flagKey && d.env === this.env ? d : undefined;
  }

  private readonly reload = () => store.touch(this.flagKey);

  /** The server's preview evaluates the default environment's plan only: it is shown there alone. */
  private isDefaultEnv(): boolean {
    return this.env === null || this.env === environments.defaultKey;
  }

  private get place(): string {
    return `${this.env ?? ''}\n${this.flagKey}`;
  }

  private async more(d: FlagPageData): Promise<void> {
    const place = this.place;
    const from = this.older?.of === place ? this.older : { of: place, entries: [], next: d.history.next };
    const r = await loadHistory(this.env, this.flagKey, from.next);
    if (this.place !== place) return; // the page moved on meanwhile
    this.older = { of: place, entries: [...from.entries, ...r.entries], next: r.next };
  }

  private readonly open = (e: CustomEvent<ActionSpec>) => void this.renderRoot.querySelector<SyActionDialog>('sy-action-dialog')!.open(e.detail);

  private readonly onConflict = (e: CustomEvent<ApiFailure>) => {
    this.conflict = `${e.detail.message.replace(/; reload it and try again$/, '')}. The page now shows the latest state.`;
    this.reload();
  };

  private renderPlan(d: FlagPageData, f: FlagPageData['flag']) {
    const plan = d.plan?.plan ?? null;
    const why = whyNot(this.session, 'plan');
    return html`<section class="card" aria-labelledby="plan-h">
      <div class="section-head"><h2 id="plan-h">Plan</h2>
        ${this.editing
          ? nothing
          : html`<button ?disabled=${!!why} aria-describedby=${why ? 'plan-why' : nothing} @click=${() => (this.editing = true)}>${plan ? 'Edit plan' : 'Write a plan'}</button>
            ${renderPromote(this.env, why, (to) => void this.promote(to))}`}</div>
      ${why && !this.editing ? html`<span class="why" id="plan-why">${why}</span>` : nothing}
      ${this.editing
        ? html`<sy-plan-editor .flag=${f} .plan=${plan} @sy-plan-saved=${() => { this.editing = false; this.reload(); }}
            @sy-plan-cancel=${() => (this.editing = false)} @sy-conflict=${this.onConflict}></sy-plan-editor>`
        : plan
          ? html`<sy-plan-summary .plan=${plan} .stage=${f.stage}></sy-plan-summary>`
          : html`<p class="muted">No plan yet.</p>`}
    </section>`;
  }

  /** Opens the promotion dialog once the diffs are read. */
  private async promote(to: string): Promise<void> {
    const dialog = this.renderRoot.querySelector<SyActionDialog>('sy-action-dialog')!;
    void dialog.open(await promoteSpec(this.flagKey, to));
  }

  private renderHistory(d: FlagPageData) {
    const older = this.older?.of === this.place ? this.older : null;
    const seen = new Set(d.history.entries.map((e) => e.seq));
    const entries = [...d.history.entries, ...(older?.entries.filter((e) => !seen.has(e.seq)) ?? [])];
    const next = older ? older.next : d.history.next;
    return html`<section class="card" aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      ${d.history.problem ? html`<p class="notice error" role="alert">Could not load the history: ${d.history.problem}</p>` : nothing}
      <sy-audit-list .entries=${entries}></sy-audit-list>
      ${next ? html`<div><button class="small" @click=${() => void this.more(d)}>Show older entries</button></div>` : nothing}
    </section>`;
  }

  private problem(): string {
    if (this.data.status !== TaskStatus.ERROR) return '';
    const e = this.data.error as ApiFailure;
    return e?.status === 404 ? `There is no flag "${this.flagKey}".` : `Could not load this flag: ${(e as Error)?.message}`;
  }

  override render() {
    const crumb = html`<a class="crumb" href=${link('/flags', this.env)}>← All flags</a>`;
    const d = this.current();
    const problem = this.problem();
    if (problem && !d) return html`${crumb}<p class="notice error" role="alert">${problem}</p>`;
    if (!d) return html`<p class="muted" role="status">Loading ${this.flagKey}…</p>`;
    // The stream may already carry a newer state than the last read (a kill shows at once).
    const f = (this.isDefaultEnv() ? store.flag(d.key, d.flag) : undefined) ?? d.flag;
    const live = !f.archived;
    return html`
      ${crumb}
      ${this.conflict ? html`<p class="notice warn" role="alert">${this.conflict} <button class="small ghost" @click=${() => (this.conflict = '')}>Dismiss</button></p>` : nothing}
      ${problem ? html`<p class="notice error" role="alert">${problem}</p>` : nothing}
      ${renderFlagEnvs(d.flag, this.env)}
      ${live
        ? html`<sy-flag-header .flag=${f} .session=${this.session} @sy-open-action=${this.open}></sy-flag-header>`
        : html`<h1>${f.key}</h1><p class="notice info" role="status"><strong>Archived</strong> by ${f.archivedBy ?? 'someone'} ${dateTime(f.archivedAt)}.
            SDKs no longer receive this flag; apps get the fallback value they pass in code. Its history stays below.</p>`}
      <div class="cols">
        <div class="stack" style="gap:1.1rem">
          ${live ? html`<sy-rollout-panel .session=${this.session} .flag=${f} .plan=${d.plan} .gates=${d.gates} .signoffs=${d.signoffs}
              .metrics=${d.metrics} @sy-open-action=${this.open}></sy-rollout-panel>${this.renderPlan(d, f)}` : nothing}
          <sy-flag-usage .flag=${f} .env=${this.env}></sy-flag-usage>
          ${this.renderHistory(d)}
        </div>
        <div class="stack" style="gap:1.1rem">
          <sy-flag-details .flag=${f} .session=${this.session} @sy-open-action=${this.open} @sy-conflict=${this.onConflict}
            @sy-flag-saved=${this.reload}></sy-flag-details>
          ${live && this.isDefaultEnv() ? html`<sy-rollout-preview .flag=${f} .plan=${d.plan?.plan ?? null}></sy-rollout-preview>` : nothing}
        </div>
      </div>
      <sy-action-dialog @sy-action-done=${this.reload} @sy-action-failed=${this.reload} @sy-conflict=${this.onConflict}></sy-action-dialog>
    `;
  }
}

customElements.define('sy-flag-page', SyFlagPage);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-page': SyFlagPage;
  }
}
