/**
 * "Undo this kill": restores exactly the flags one kill killed (`POST /api/restore {killId}`),
 * offered in a kill's result. Flags killed before that kill, or restored and killed again since,
 * stay as they are, and the result says which.
 */
import { html } from 'lit';
import { post } from '../../api.js';
import { delivery, keyList, plural, WAIT_MS } from './bulk-result.js';
import type { ActionSpec } from './action-spec.js';
import type { BulkRestoreResult } from '../../types.js';

/** `killed`: the flags the kill killed, as its answer listed them. */
export function undoKillSpec(killId: string, killed: string[]): ActionSpec {
  return {
    title: 'Undo this kill',
    intro: 'Restores only the flags this kill killed, to the stage each was at. Flags that were already killed before it stay killed, and so does any flag killed again since.',
    fieldLabel: 'Reason (recorded in the audit trail)',
    fieldHint: 'For example: "provider recovered, INC-2240".',
    submitLabel: 'Restore the flags of this kill',
    confirm: 'I have checked that it is safe to serve these flags again.',
    preview: () => html`${keyList('Killed by this kill', killed, 'will-change')}`,
    async run(reason) {
      const r = await post<BulkRestoreResult>('/api/restore', { killId, reason, waitMs: WAIT_MS });
      const left = r.alreadyLive.length + (r.notThisKill?.length ?? 0);
      return {
        message: r.restored.length
          ? `Restored ${plural(r.restored.length, 'flag')} of this kill.${left ? ` ${plural(left, 'flag')} of it left as ${left === 1 ? 'it was' : 'they were'}.` : ''}`
          : 'Nothing changed: no flag is still killed by this kill.',
        detail: html`${keyList('Restored', r.restored, 'changed', r.propagation)}${keyList('Restored since, unchanged', r.alreadyLive, 'unchanged')}${keyList(
          'Killed again since by another kill, unchanged',
          r.notThisKill ?? [],
          'not-this-kill',
        )}`,
        ...delivery(r.propagation, 'Every restored flag'),
      };
    },
  };
}
