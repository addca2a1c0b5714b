import { html, nothing } from 'lit';
import type { Gate, Propagation } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { styles } from './sy-counted-apart.styles.js';

/** "3 SDKs", "1 SDK". */
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "3 unresponsive SDKs were closed … (b: 1, c: 2)": the replicas named when there are several. */
export function unresponsiveText(p: Pick<Propagation, 'unresponsive' | 'replicas'>): string {
  const n = p.unresponsive ?? 0;
  if (n <= 0) return '';
  const where = (p.replicas ?? []).filter((r) => (r.unresponsive ?? 0) > 0);
  const per = p.replicas && p.replicas.length > 1 && where.length ? ` (${where.map((r) => `${r.name}: ${r.unresponsive}`).join(', ')})` : '';
  return `${count(n, 'unresponsive SDK was', 'unresponsive SDKs were')} closed for not acknowledging in time${per}: not counted above; they get this change when they reconnect`;
}

/** "Evidence from 2 reporters", or that none has sent samples; '' for a gate that has no reporters figure. */
export function reportersText(g: Gate): string {
  const n = (g as { reporters?: unknown }).reporters;
  if (typeof n !== 'number' || !Number.isFinite(n)) return '';
  if (n === 0) return 'No reporter has sent samples for this stage yet';
  return `Evidence from ${count(n, 'reporter', 'reporters')} (distinct metrics tokens)`;
}

/**
 * What the main figures leave out, said beside them (issue 20): SDKs closed as unresponsive
 * beside a change's reach (every replica's, in a cluster), and how many reporters a metric
 * gate's evidence comes from. Renders nothing when there is nothing to say.
 */
export class SyCountedApart extends SyElement {
  static override styles = styles;
  static override properties = { propagation: { attribute: false }, gate: { attribute: false } };

  propagation: Propagation | null = null;
  gate: Gate | null = null;

  override render() {
    const lost = this.propagation ? unresponsiveText(this.propagation) : '';
    const from = this.gate ? reportersText(this.gate) : '';
    return html`${lost ? html`<p class="warn" data-testid="unresponsive">⚠ ${lost}</p>` : nothing}${from
      ? html`<p class="muted" data-testid="reporters">${from}</p>`
      : nothing}`;
  }
}

customElements.define('sy-counted-apart', SyCountedApart);

declare global {
  interface HTMLElementTagNameMap {
    'sy-counted-apart': SyCountedApart;
  }
}
