import { describe, expect, it } from 'vitest';
import { replicaLines } from '../../admin-ui/src/components/sy-action-dialog/replica-lines.js';

describe('the admin UI lines per replica', () => {
  it('says how far each live replica got, and that a gone one\'s SDKs are reconnecting', () => {
    expect(
      replicaLines([
        { name: 'a', connected: 412, acknowledged: 412, pending: 0, status: 'live', goneForMs: null },
        { name: 'b', connected: 300, acknowledged: 0, pending: 0, status: 'gone', goneForMs: 12_300 },
        { name: 'c', connected: 5, acknowledged: 3, pending: 2, status: 'live', goneForMs: null },
      ]),
    ).toEqual([
      { text: 'replica a: 412 of 412', gone: false },
      { text: 'replica b: gone 12 s ago, its 300 SDKs reconnecting', gone: true },
      { text: 'replica c: 3 of 5 (2 pending)', gone: false },
    ]);
  });

  it('counts a long absence in minutes and leaves out SDKs a gone replica did not have', () => {
    expect(replicaLines([{ name: 'b', connected: 0, acknowledged: 0, pending: 0, status: 'gone', goneForMs: 600_000 }])).toEqual([{ text: 'replica b: gone 10 min ago', gone: true }]);
  });
});
