import { html, nothing } from 'lit';
import { bulkKillSpec, bulkRestoreSpec } from '../sy-action-dialog/bulk-actions.js';
import { powerIcon } from '../../icons.js';
import { whyNot, type Session } from '../../session.js';
import type { FlagListItem } from '../../types.js';
import { SyElement } from '../base/sy-element.js';
import { shared } from '../base/shared.styles.js';
import type { ActionSpec } from '../sy-action-dialog/action-spec.js';
import { styles } from './sy-bulk-kill.styles.js';

/**
 * Incident tools on the flag list: kill or restore every flag with a tag, or every flag, with one
 * reason. Emits `sy-open-action`; the list owns the dialog. Disabled, with the reason, for roles
 * that cannot kill.
 *
 * @fires sy-open-action - a bulk kill or restore was chosen; `detail` is its ActionSpec
 */
export class SyBulkKill extends SyElement {
  static override styles = [shared, styles];
  static override properties = { session: { attribute: false }, flags: { attribute: false }, tag: {} };

  session: Session | null = null;
  flags: FlagListItem[] = [];
  /** The tag the list is filtered by, chosen first in the dialogs. */
  tag = '';

  private open(spec: ActionSpec): void {
    this.emit<ActionSpec>('sy-open-action', spec);
  }

  override render() {
    const roleWhy = whyNot(this.session, 'kill');
    const noTags = !this.flags.some((f) => f.tags.length);
    const tagWhy = roleWhy || (noTags ? 'No flag has a tag yet, so there is nothing to kill by tag.' : '');
    const flags = () => this.flags;
    const firstTag = (fs: FlagListItem[]) => fs.flatMap((f) => f.tags).sort()[0];
    const killFrom = { initial: this.tag || firstTag(this.flags.filter((f) => !f.killed)) || firstTag(this.flags) };
    const restoreFrom = { initial: this.tag || firstTag(this.flags.filter((f) => f.killed)) || firstTag(this.flags) };
    const described = tagWhy ? 'bulk-why' : nothing;
    return html`<div class="card bulk" role="group" aria-labelledby="bulk-h">
      <div class="label">
        <strong id="bulk-h">Kill switches for many flags</strong>
        <span class="note">For incidents such as a model provider outage: one reason, one transaction.</span>
      </div>
      <span class="spacer"></span>
      <div class="buttons">
        <button class="small outline-danger" ?disabled=${!!tagWhy} aria-describedby=${described}
          @click=${() => this.open(bulkKillSpec(flags, killFrom))}>${powerIcon} Kill by tag…</button>
        <button class="small outline-danger" ?disabled=${!!roleWhy} aria-describedby=${described}
          @click=${() => this.open(bulkKillSpec(flags))}>Kill all…</button>
        <button class="small" ?disabled=${!!tagWhy} aria-describedby=${described}
          @click=${() => this.open(bulkRestoreSpec(flags, restoreFrom))}>Restore by tag…</button>
        <button class="small" ?disabled=${!!roleWhy} aria-describedby=${described}
          @click=${() => this.open(bulkRestoreSpec(flags))}>Restore all…</button>
      </div>
      ${tagWhy ? html`<span class="note why" id="bulk-why">${tagWhy}</span>` : nothing}
    </div>`;
  }
}

customElements.define('sy-bulk-kill', SyBulkKill);

declare global {
  interface HTMLElementTagNameMap {
    'sy-bulk-kill': SyBulkKill;
  }
}
