import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { AuditAction, type SdkKeyKind, type SdkKeyView } from '@switchyard-flags/sdk/api';
import crypto from 'node:crypto';
import type { Db } from '../storage/schema.js';
import type { Actor } from '../actor.js';
import { getSdkKeyRow, insertSdkKey, liveSdkKeyByHash, listSdkKeyRows, markSdkKeyRevoked, type SdkKeyRow } from './sdk-key-store.js';
import { NotFound, ValidationError } from '../errors.js';
import { write, type WriteDeps } from '../unit-of-work.js';
import type { Clock } from '../clock.js';

export const SDK_KEY_PREFIX = 'sy_sdk_';

/** A key as listed and audited: never its secret, nor its secure-mode secret; whether it has secure mode. */
export type KeyView = SdkKeyView & { secureMode: boolean };

export function hashSdkKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function looksLikeSdkKey(token: string): boolean {
  return token.startsWith(SDK_KEY_PREFIX);
}

/** SDK keys are stored as SHA-256 hashes: the key itself is shown once, at creation. */
export class SdkKeyService {
  constructor(private readonly deps: WriteDeps & { clock: Clock } & EnvDeps) {}

  /** `secureMode` (client keys only): the answer carries `secureModeSecret`, shown this once. */
  async create(actor: Actor, name: string, kind: SdkKeyKind = 'server', secureMode = false): Promise<KeyView & { key: string; secureModeSecret?: string }> {
    if (secureMode && kind !== 'client') throw new ValidationError('secureMode is for client keys: a server key reads full flag states anyway', [{ path: 'secureMode', message: 'only with kind "client"' }]);
    const key = SDK_KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
    const secret = secureMode ? crypto.randomBytes(32).toString('hex') : null;
    const view: KeyView = {
      id: crypto.randomUUID(),
      name,
      kind,
      prefix: key.slice(0, SDK_KEY_PREFIX.length + 6),
      createdAt: this.deps.clock().toISOString(),
      createdBy: actor.sub,
      revokedAt: null,
      revokedBy: null,
      secureMode,
    };
    await write(this.deps, actor, async (ctx) => {
      await insertSdkKey(ctx.trx, {
        // env: default only (issue 23 envpush): `sdk-key --env` and key-bound streams come with envpush.
        environment: envOr(this.deps, undefined),
        id: view.id,
        name,
        key_hash: hashSdkKey(key),
        prefix: view.prefix,
        created_at: view.createdAt,
        created_by: view.createdBy,
        revoked_at: null,
        revoked_by: null,
        kind,
        secure_secret: secret,
      });
      await ctx.record({ action: AuditAction.SdkKeyCreate, after: view });
    });
    return secret === null ? { ...view, key } : { ...view, key, secureModeSecret: secret };
  }

  async list(): Promise<KeyView[]> {
    const rows = await listSdkKeyRows(this.deps.db);
    return rows.map(toView);
  }

  async revoke(actor: Actor, id: string, reason: string | undefined): Promise<KeyView> {
    return write(this.deps, actor, async (ctx) => {
      const row = await getSdkKeyRow(ctx.trx, id);
      if (!row) throw new NotFound(`SDK key "${id}" does not exist`);
      if (row.revoked_at !== null) return toView(row);
      const now = this.deps.clock().toISOString();
      await markSdkKeyRevoked(ctx.trx, id, now, actor.sub);
      const after = toView({ ...row, revoked_at: now, revoked_by: actor.sub });
      await ctx.record({ action: AuditAction.SdkKeyRevoke, before: toView(row), after, reason: reason ?? null });
      return after;
    });
  }
}

/** Finds the live key a presented SDK key belongs to. */
export async function findSdkKey(db: Db, presented: string): Promise<{ id: string; name: string; kind: SdkKeyKind; secure_secret: string | null } | undefined> {
  if (!looksLikeSdkKey(presented)) return undefined;
  return liveSdkKeyByHash(db, hashSdkKey(presented));
}

function toView(r: SdkKeyRow): KeyView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    prefix: r.prefix,
    createdAt: r.created_at,
    createdBy: r.created_by,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
    secureMode: r.secure_secret !== null,
  };
}
