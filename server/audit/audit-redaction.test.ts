import { describe, expect, it } from 'vitest';
import { REDACTED, redactEntry } from './audit-redaction.js';
import type { AuditEntry } from '@switchyard-flags/sdk/api';

const key = { id: 'k-1', name: 'checkout', prefix: 'sy_sdk_abcdef', createdBy: 'alice', revokedAt: null };
const entry = (action: string, before: unknown, after: unknown): AuditEntry => ({
  seq: 7, at: '2026-12-01T09:00:00.000Z', actor: 'alice', role: 'admin', action, flag: null,
  before, after, reason: 'rotated', requestId: 'r', clientRequestId: null, environment: null, prevHash: '0'.repeat(64), hash: 'f'.repeat(64),
});

describe('redactEntry', () => {
  it('hides an SDK key id, name and prefix from every role but admin, on both sides, and says which', () => {
    const e = entry('sdk_key.revoke', key, { ...key, revokedAt: 'now' });
    for (const role of ['viewer', 'pm', 'engineer', 'oncall', 'metrics', undefined] as const) {
      const seen = redactEntry(e, role);
      expect(seen.before).toEqual({ ...key, id: REDACTED, name: REDACTED, prefix: REDACTED });
      expect(seen.after).toMatchObject({ id: REDACTED, name: REDACTED, prefix: REDACTED, revokedAt: 'now', createdBy: 'alice' });
      expect(seen.redacted).toEqual(['before.id', 'before.name', 'before.prefix', 'after.id', 'after.name', 'after.prefix']);
      expect(seen.hash).toBe(e.hash);
    }
    expect(e.before).toEqual(key);
  });

  it('gives an admin the entry itself, and leaves other actions alone for everyone', () => {
    const e = entry('sdk_key.create', null, key);
    expect(redactEntry(e, 'admin')).toBe(e);
    const flag = entry('flag.update', { name: 'x', id: 'y' }, null);
    expect(redactEntry(flag, 'viewer')).toBe(flag);
  });
});
