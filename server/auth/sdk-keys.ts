import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { AuditAction, type SdkKeyKind, type SdkKeyView } from '@switchyard-flags/sdk/api';
import crypto from 'node:crypto';
import type { Db } from '../storage/schema.js';
import type { Actor } from '../actor.js';
import { getSdkKeyRow, insertSdkKey, liveSdkKeyByHash, listSdkKeyRows, markSdkKeyRevoked, type SdkKeyRow } from './sdk-key-store.js';
import { NotFound, ValidationError } from '../errors.js';
import { write, type WriteDeps } from '../unit-of-work.js';
import { getEnvironmentRow } from '../environments/environment-store.js';
import type { Clock } from '../clock.js';

export const SDK_KEY_PREFIX = 'sy_sdk_';

/** A key as listed and audited: never its secret, nor its secure-mode secret; whether it has secure mode; the one environment it reads. */
export type KeyView = SdkKeyView & { secureMode: boolean; environment: string };

export function hashSdkKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function looksLikeSdkKey(token: string): boolean {
  return token.startsWith(SDK_KEY_PREFIX);
}

/** SDK keys are stored as SHA-256 hashes: the key itself is shown once, at creation. */
export class SdkKeyService {
  constructor(private readonly deps: WriteDeps & { clock: Clock } & EnvDeps) {}

  /**
   * `secureMode` (client keys only): the answer carries `secureModeSecret`, shown this once.
   * `environment` (default DEFAULT_ENVIRONMENT): the one environment the key reads, for good.
   */
  async create(actor: Actor, name: string, kind: SdkKeyKind = 'server', secureMode = false, environment?: string): Promise<KeyView & { key: string; secureModeSecret?: string }> {
    if (secureMode && kind !== 'client') throw new ValidationError('secureMode is for client keys: a server key reads full flag states anyway', [{ path: 'secureMode', message: 'only with kind "client"' }]);
    const key = SDK_KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
    const secret = secureMode ? crypto.randomBytes(32).toString('hex') : null;
    const env = envOr(this.deps, environment);
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
      environment: env,
    };
    await write(this.deps, actor, async (ctx) => {
      const where = await getEnvironmentRow(ctx.trx, env);
      if (!where || where.archived === 1) throw new NotFound(`environment "${env}" does not exist${where ? ' (it is archived)' : ''}: an SDK key belongs to one live environment (GET /api/environments)`);
      await insertSdkKey(ctx.trx, {
        environment: env,
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
      await ctx.record({ action: AuditAction.SdkKeyCreate, after: view, environment: env });
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
export async function findSdkKey(db: Db, presented: string): Promise<{ id: string; name: string; kind: SdkKeyKind; secure_secret: string | null; environment: string } | undefined> {
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
    environment: r.environment,
  };
}
