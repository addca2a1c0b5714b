import { html, nothing } from 'lit';
import { ApiFailure, get, query, seg } from '../../api.js';
import { advanceSpec, pauseSpec, rollbackSpec, signoffSpec } from '../../actions.js';
import { dateTime, json, pct } from '../../format.js';
import { whyNot, type Permission, type Session } from '../../session.js';
import { onResync, onStream } from '../../stream.js';
import type { AuditEntry, FlagView, GatesView, MetricsView, PlanView, SignoffsView } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec, SyActionDialog } from '../sy-action-dialog/sy-action-dialog.js';
import { styles } from './sy-flag-page.styles.js';

const optional = <T>(p: Promise<T>) => p.catch((e: unknown) => (e instanceof ApiFailure && e.status === 404 ? null : Promise.reject(e)));

/** One flag: state, the kill switch, the rollout stepper, the gates, actions, plan and history. */
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
      void this.load();
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.load(), 150);
  }

  private base(): string {
    return `/api/flags/${seg(this.flagKey)}`;
  }

  async load(): Promise<void> {
    try {
      const [flag, audit] = await Promise.all([
        get<FlagView>(this.base()),
        get<{ entries: AuditEntry[]; next: string | null }>(`/api/audit${query({ flag: this.flagKey, limit: 25 })}`),
        this.loadRollout(),
      ]);
      this.flag = flag;
      this.history = audit.entries;
      this.historyNext = audit.next;
      this.problem = '';
    } catch (e) {
      this.problem = (e as ApiFailure).status === 404 ? `There is no flag "${this.flagKey}".` : `Could not load this flag: ${(e as Error).message}`;
    }
  }

  private async loadRollout(): Promise<void> {
    const b = this.base();
    const [plan, gates, signoffs, metrics] = await Promise.all([
      optional(get<PlanView>(`${b}/plan`)),
      optional(get<GatesView>(`${b}/gates`)),
      optional(get<SignoffsView>(`${b}/signoffs`)),
      optional(get<MetricsView>(`${b}/metrics`)),
    ]);
    Object.assign(this, { plan, gates, signoffs, metrics });
  }

  private async more(): Promise<void> {
    const r = await get<{ entries: AuditEntry[]; next: string | null }>(`/api/audit${query({ flag: this.flagKey, limit: 25, cursor: this.historyNext })}`);
    this.history = [...this.history, ...r.entries];
    this.historyNext = r.next;
  }

  private open(spec: ActionSpec): void {
    void this.renderRoot.querySelector<SyActionDialog>('sy-action-dialog')!.open(spec);
  }

  private onConflict(e: CustomEvent<ApiFailure>): void {
    this.conflict = `${e.detail.message}. The page now shows the latest state.`;
    void this.load();
  }

  /** A button for an action: disabled with the reason in words when the role or the state forbids it. */
  private action(label: string, perm: Permission, stateWhy: string, spec: () => ActionSpec, cls = '') {
    const why = whyNot(this.session, perm) || stateWhy;
    const id = `why-${label.replace(/\W+/g, '-').toLowerCase()}`;
    return html`<div class="action">
      <button class=${cls} ?disabled=${!!why} aria-describedby=${why ? id : nothing} @click=${() => this.open(spec())}>${label}</button>
      ${why ? html`<span class="why" id=${id}>${why}</span>` : nothing}
    </div>`;
  }

  private renderRollout(f: FlagView) {
    const plan = this.plan?.plan ?? null;
    const g = this.gates;
    const failing = g?.gates.filter((x) => !x.ok) ?? [];
    const next = g?.nextPercent ?? plan?.stages[f.stage]?.percent ?? null;
    const atEnd = !!plan && f.stage >= plan.stages.length;
    const noPlan = !plan ? 'There is no rollout plan yet.' : '';
    const advanceWhy = noPlan || (atEnd ? 'The rollout is at its last stage.' : failing.length ? 'Blocked by the gates marked “Not met”.' : '');
    const signoffWhy = noPlan || (atEnd ? 'There is no next stage to sign off.' : '');
    return html`<section class="card" aria-labelledby="rollout-h">
      <div class="section-head"><h2 id="rollout-h">Rollout</h2>
        ${plan ? html`<span class="muted small">plan version ${this.plan?.version} by ${this.plan?.author ?? '—'}</span>` : nothing}</div>
      <sy-stage-stepper .plan=${plan} .stage=${f.stage} .stageStartedAt=${f.stageStartedAt} ?paused=${f.paused} ?killed=${f.killed}></sy-stage-stepper>
      <div class="actions" role="group" aria-label="Rollout actions">
        ${this.action('Sign off', 'signoff', signoffWhy, () => signoffSpec(f, plan))}
        ${this.action(next === null ? 'Advance' : `Advance to ${pct(next)}`, 'advance', advanceWhy, () => advanceSpec(f, plan), 'primary')}
        ${this.action('Roll back', 'rollback', f.stage === 0 ? 'Nothing to roll back: the rollout has not started.' : '', () => rollbackSpec(f, plan))}
        ${this.action(f.paused ? 'Resume' : 'Pause', 'pause', noPlan, () => pauseSpec(f))}
      </div>
      ${plan && !atEnd
        ? html`<div class="stack">
            <h3>Gates for ${next === null ? 'the next stage' : pct(next)}
              <span class="muted small">· ${g?.ready ? 'all met: ready to advance' : `${failing.length} not met`}</span></h3>
            ${failing.length ? html`<ul class="blocked" aria-label="Why advance is blocked">${failing.map((x) => html`<li>${x.detail}</li>`)}</ul>` : nothing}
            <sy-gate-list .gates=${g?.gates ?? []} .series=${this.metrics?.metrics ?? []} .signoffs=${(this.signoffs?.signoffs ?? []).filter((s) => s.stage === (g?.nextStage ?? f.stage + 1))}></sy-gate-list>
          </div>`
        : atEnd
          ? html`<p class="notice ok">Fully rolled out: ${pct(f.percent)} of the eligible cohort.</p>`
          : nothing}
    </section>`;
  }

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

  private renderDetails(f: FlagView) {
    return html`<section class="card" aria-labelledby="details-h">
      <h2 id="details-h">Details</h2>
      <dl>
        <dt>Serves when on</dt><dd><span class="value">${json(f.on)}</span></dd>
        <dt>Serves when off</dt><dd><span class="value">${json(f.off)}</span></dd>
        <dt>Owner</dt><dd>${f.owner}</dd>
        <dt>Version</dt><dd>${f.version}</dd>
        <dt>Created</dt><dd>${dateTime(f.createdAt)} by ${f.createdBy}</dd>
        <dt>Stage since</dt><dd>${f.stageStartedAt ? dateTime(f.stageStartedAt) : '—'}</dd>
      </dl>
    </section>`;
  }

  override render() {
    if (this.problem && !this.flag) return html`<a class="crumb" href="#/flags">← All flags</a><p class="notice error" role="alert">${this.problem}</p>`;
    const f = this.flag;
    if (!f) return html`<p class="muted" role="status">Loading ${this.flagKey}…</p>`;
    return html`
      <a class="crumb" href="#/flags">← All flags</a>
      ${this.conflict ? html`<p class="notice warn" role="alert">${this.conflict} <button class="small ghost" @click=${() => (this.conflict = '')}>Dismiss</button></p>` : nothing}
      ${this.problem ? html`<p class="notice error" role="alert">${this.problem}</p>` : nothing}
      <sy-flag-header .flag=${f} .session=${this.session} @sy-open-action=${(e: CustomEvent<ActionSpec>) => this.open(e.detail)}></sy-flag-header>
      <div class="cols">
        <div class="stack" style="gap:1.1rem">${this.renderRollout(f)}${this.renderPlan(f)}
          <section class="card" aria-labelledby="history-h">
            <h2 id="history-h">History</h2>
            <sy-audit-list .entries=${this.history}></sy-audit-list>
            ${this.historyNext ? html`<div><button class="small" @click=${() => void this.more()}>Show older entries</button></div>` : nothing}
          </section>
        </div>
        <div class="stack" style="gap:1.1rem">${this.renderDetails(f)}</div>
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
