import { html, nothing } from 'lit';
import { ApiFailure, get, seg } from '../../api.js';
import { pct } from '../../format.js';
import type { FlagView, Plan } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import { parseAttributes, previewSentence, type PreviewResult } from './preview-text.js';
import { styles } from './sy-rollout-preview.styles.js';

/**
 * "What does this user get?": a user key and attributes, evaluated by the server with the SDK's
 * own `evaluate()` (`GET /api/flags/:key/preview`), now or at another stage of the plan.
 */
export class SyRolloutPreview extends SyElement {
  static override styles = [shared, styles];
  static override properties = { flag: { attribute: false }, plan: { attribute: false }, result: { state: true }, error: { state: true }, busy: { state: true } };

  flag: FlagView | null = null;
  plan: Plan | null = null;
  result: PreviewResult | null = null;
  error = '';
  busy = false;

  private async run(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.flag) return;
    const form = e.target as HTMLFormElement;
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | null)?.value.trim() ?? '';
    const { attrs, bad } = parseAttributes(value('attrs'));
    if (bad.length) {
      this.error = `Write one attribute per line as name=value (not “${bad[0]}”).`;
      return;
    }
    const q = new URLSearchParams();
    if (value('key')) q.set('key', value('key'));
    for (const a of attrs) q.append('attr', a);
    if (value('stage')) q.set('stage', value('stage'));
    this.busy = true;
    try {
      this.result = await get<PreviewResult>(`/api/flags/${seg(this.flag.key)}/preview?${q}`);
      this.error = '';
    } catch (err) {
      this.result = null;
      this.error = err instanceof ApiFailure ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }

  private renderAnswer(r: PreviewResult) {
    const f = this.flag!;
    const gotOn = JSON.stringify(r.value) === JSON.stringify(f.on) && r.reason === 'ROLLOUT_IN';
    return html`<div class="answer" role="status" data-testid="preview-result">
      <span><span class="badge ${gotOn ? 'live' : 'idle'}">${gotOn ? 'On value' : 'Off value'}</span></span>
      <p class="sentence">${previewSentence(r)}</p>
      <p class="note">Reason <code>${r.reason}</code> · at stage ${r.stage} (${pct(r.percent)})${r.flagVersion ? ` · flag version ${r.flagVersion}` : ''}</p>
    </div>`;
  }

  override render() {
    const f = this.flag;
    if (!f) return nothing;
    const stages = this.plan?.stages ?? [];
    return html`<section class="card" aria-labelledby="preview-h">
      <h2 id="preview-h">Preview a user</h2>
      <form @submit=${this.run} novalidate aria-label="Preview what a user gets">
        <div class="field"><label for="pv-key">User key</label><input id="pv-key" name="key" placeholder="user-42" autocomplete="off" /></div>
        <div class="field">
          <label for="pv-attrs">Attributes (one name=value per line)</label>
          <textarea id="pv-attrs" name="attrs" placeholder=${'plan=pro\ncountry=US'} aria-describedby="pv-hint"></textarea>
          <span class="note" id="pv-hint">Values are sent as text; numbers compare as numbers.</span>
        </div>
        ${stages.length
          ? html`<div class="field"><label for="pv-stage">At</label>
              <select id="pv-stage" name="stage">
                <option value="">the current stage (${pct(f.percent)})</option>
                ${[0, ...stages.map((_, i) => i + 1)].filter((i) => i !== f.stage).map(
                  (i) => html`<option value=${i}>${i === 0 ? 'not started (0%)' : `stage ${i} (${pct(stages[i - 1]!.percent)})`}</option>`,
                )}
              </select></div>`
          : nothing}
        <div><button type="submit" ?disabled=${this.busy}>${this.busy ? 'Checking…' : 'Preview'}</button></div>
      </form>
      ${this.error ? html`<p class="notice error" role="alert">${this.error}</p>` : nothing}
      ${this.result ? this.renderAnswer(this.result) : nothing}
    </section>`;
  }
}

customElements.define('sy-rollout-preview', SyRolloutPreview);

declare global {
  interface HTMLElementTagNameMap {
    'sy-rollout-preview': SyRolloutPreview;
  }
}
