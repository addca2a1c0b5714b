import { html, nothing } from 'lit';
import type { ApiFailure } from '../../api.js';
import { dateTime } from '../../format.js';
import { whyNot, type Session } from '../../session.js';
import { onResync, onStream } from '../../stream.js';
import type { AuditEntry, FlagView, GatesView, MetricsView, PlanView, SignoffsView } from '../../types.js';
import { loadFlag, loadHistory, loadRollout } from './flag-page-data.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec, SyActionDialog } from '../sy-action-dialog/sy-action-dialog.js';
import { styles } from './sy-flag-page.styles.js';

/** One flag: state and kill switch, rollout and gates, plan, evaluation usage, details, a user preview and the history. */
export class SyFlagPage extends SyElement {
  static override styles = [shared, styles];
  static override properties = {
    session: { attribute: false },
    flagKey: { attribute: false },
    flag: { state: true },
    plan: { state: true },
    gates: { state: true },
    signoffs: { state: true },
    metrics: { state: true },
    history: { state: true },
    historyNext: { state: true },
    editing: { state: true },
    problem: { state: true },
    conflict: { state: true },
  };

  session: Session | null = null;
  flagKey = '';
  flag: FlagView | null = null;
  plan: PlanView | null = null;
  gates: GatesView | null = null;
  signoffs: SignoffsView | null = null;
  metrics: MetricsView | null = null;
  history: AuditEntry[] = [];
  historyNext: string | null = null;
  editing = false;
  problem = '';
  conflict = '';
  private unsubs: Array<() => void> = [];
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubs.push(
      onResync(() => void this.load()),
      onStream((m) => {
        if (m.type === 'flag' && m.flag.key === this.flagKey) {
          this.flag = m.flag;
          this.scheduleReload();
        } else if (m.type === 'audit' && m.entry.flag === this.flagKey && !this.history.some((e) => e.seq === m.entry.seq)) {
          this.history = [m.entry, ...this.history];
        }
      }),
    );
    this.tick = setInterval(() => void this.loadRollout(), 30_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubs.forEach((u) => u());
    this.unsubs = [];
    clearInterval(this.tick);
    clearTimeout(this.reloadTimer);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('flagKey') && this.flagKey) {
      this.flag = null;
      this.editing = false;
      this.conflict = '';
      void this.load();
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.load(), 150);
  }

  async load(): Promise<void> {
    try {
      const [flag, audit] = await Promise.all([loadFlag(this.flagKey), loadHistory(this.flagKey), this.loadRollout()]);
      this.flag = flag;
      this.history = audit.entries;
      this.historyNext = audit.next;
      this.problem = '';
    } catch (e) {
      this.problem = (e as ApiFailure).status === 404 ? `There is no flag "${this.flagKey}".` : `Could not load this flag: ${(e as Error).message}`;
    }
  }

  private async loadRollout(): Promise<void> {
    Object.assign(this, await loadRollout(this.flagKey));
  }

  private async more(): Promise<void> {
    const r = await loadHistory(this.flagKey, this.historyNext);
    this.history = [...this.history, ...r.entries];
    this.historyNext = r.next;
  }

  private readonly open = (e: CustomEvent<ActionSpec>) => void this.renderRoot.querySelector<SyActionDialog>('sy-action-dialog')!.open(e.detail);

  private readonly onConflict = (e: CustomEvent<ApiFailure>) => {
    this.conflict = `${e.detail.message.replace(/; reload it and try again$/, '')}. The page now shows the latest state.`;
    void this.load();
  };

  private renderPlan(f: FlagView) {
    const plan = this.plan?.plan ?? null;
    const why = whyNot(this.session, 'plan');
    return html`<section class="card" aria-labelledby="plan-h">
      <div class="section-head"><h2 id="plan-h">Plan</h2>
        ${this.editing
          ? nothing
          : html`<button ?disabled=${!!why} aria-describedby=${why ? 'plan-why' : nothing} @click=${() => (this.editing = true)}>${plan ? 'Edit plan' : 'Write a plan'}</button>`}</div>
      ${why && !this.editing ? html`<span class="why" id="plan-why">${why}</span>` : nothing}
      ${this.editing
        ? html`<sy-plan-editor .flag=${f} .plan=${plan} @sy-plan-saved=${() => { this.editing = false; void this.load(); }}
            @sy-plan-cancel=${() => (this.editing = false)} @sy-conflict=${this.onConflict}></sy-plan-editor>`
        : plan
          ? html`<sy-plan-summary .plan=${plan} .stage=${f.stage}></sy-plan-summary>`
          : html`<p class="muted">No plan yet.</p>`}
    </section>`;
  }

  private renderHistory() {
    return html`<section class="card" aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <sy-audit-list .entries=${this.history}></sy-audit-list>
      ${this.historyNext ? html`<div><button class="small" @click=${() => void this.more()}>Show older entries</button></div>` : nothing}
    </section>`;
  }

  override render() {
    if (this.problem && !this.flag) return html`<a class="crumb" href="#/flags">← All flags</a><p class="notice error" role="alert">${this.problem}</p>`;
    const f = this.flag;
    if (!f) return html`<p class="muted" role="status">Loading ${this.flagKey}…</p>`;
    const live = !f.archived;
    return html`
      <a class="crumb" href="#/flags">← All flags</a>
      ${this.conflict ? html`<p class="notice warn" role="alert">${this.conflict} <button class="small ghost" @click=${() => (this.conflict = '')}>Dismiss</button></p>` : nothing}
      ${this.problem ? html`<p class="notice error" role="alert">${this.problem}</p>` : nothing}
      ${live
        ? html`<sy-flag-header .flag=${f} .session=${this.session} @sy-open-action=${this.open}></sy-flag-header>`
        : html`<h1>${f.key}</h1><p class="notice info" role="status"><strong>Archived</strong> by ${f.archivedBy ?? 'someone'} ${dateTime(f.archivedAt)}.
            SDKs no longer receive this flag; apps get the fallback value they pass in code. Its history stays below.</p>`}
      <div class="cols">
        <div class="stack" style="gap:1.1rem">
          ${live ? html`<sy-rollout-panel .session=${this.session} .flag=${f} .plan=${this.plan} .gates=${this.gates} .signoffs=${this.signoffs}
              .metrics=${this.metrics} @sy-open-action=${this.open}></sy-rollout-panel>${this.renderPlan(f)}` : nothing}
          <sy-flag-usage .flag=${f}></sy-flag-usage>
          ${this.renderHistory()}
        </div>
        <div class="stack" style="gap:1.1rem">
          <sy-flag-details .flag=${f} .session=${this.session} @sy-open-action=${this.open} @sy-conflict=${this.onConflict}
            @sy-flag-saved=${() => void this.load()}></sy-flag-details>
          ${live ? html`<sy-rollout-preview .flag=${f} .plan=${this.plan?.plan ?? null}></sy-rollout-preview>` : nothing}
        </div>
      </div>
      <sy-action-dialog @sy-action-done=${() => void this.load()} @sy-action-failed=${() => void this.load()} @sy-conflict=${this.onConflict}></sy-action-dialog>
    `;
  }
}

customElements.define('sy-flag-page', SyFlagPage);

declare global {
  interface HTMLElementTagNameMap {
    'sy-flag-page': SyFlagPage;
  }
}
