import { AuditAction, type AuditEntry } from '@switchyard-flags/sdk/api';
import { CAN, type Role } from '@switchyard-flags/sdk/api';

/** What a redacted value reads as. */
export const REDACTED = '[redacted]';

/**
 * Fields of an entry's `before`/`after` that only some roles may see, because the route that
 * shows them is restricted: SDK key ids, names and prefixes are admin-only (`/api/sdk-keys`).
 */
const SDK_KEY_ACTIONS = new Set<string>([AuditAction.SdkKeyCreate, AuditAction.SdkKeyRevoke]);

const HIDDEN: Array<{ actions: ReadonlySet<string>; fields: readonly string[]; visibleTo: readonly string[] }> = [
  { actions: SDK_KEY_ACTIONS, fields: ['id', 'name', 'prefix'], visibleTo: CAN.manageKeys },
];

/** What `role` may not see, as data (the audit export's worker thread applies it: server/audit/audit-export-worker.ts). */
export function hiddenFor(role: Role | 'system' | undefined): Array<{ actions: string[]; fields: string[] }> {
  return HIDDEN.filter((r) => !(role && r.visibleTo.includes(role))).map((r) => ({ actions: [...r.actions], fields: [...r.fields] }));
}

/**
 * The entry as `role` may see it. Redaction is of the view only: the stored row, its hash and
 * `GET /api/audit/verify` are untouched, and a redacted entry lists what was hidden in
 * `redacted` (so nobody mistakes it for the stored content when recomputing a hash by hand).
 */
export function redactEntry(entry: AuditEntry, role: Role | 'system' | undefined): AuditEntry {
  let out: AuditEntry | undefined;
  for (const rule of HIDDEN) {
    if ((role && rule.visibleTo.includes(role)) || !rule.actions.has(entry.action)) continue;
    for (const side of ['before', 'after'] as const) {
      const v = (out ?? entry)[side];
      if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
      const hidden = rule.fields.filter((f) => f in v);
      if (hidden.length === 0) continue;
      out ??= { ...entry };
      out[side] = { ...(v as Record<string, unknown>), ...Object.fromEntries(hidden.map((f) => [f, REDACTED])) };
      out.redacted = [...(out.redacted ?? []), ...hidden.map((f) => `${side}.${f}`)];
    }
  }
  return out ?? entry;
}
