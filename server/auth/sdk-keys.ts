import crypto from 'node:crypto';
import type { SdkKeyView } from '../../sdk/src/api.js';
import type { Db } from '../db.js';
import type { Actor } from './roles.js';
import { NotFound } from '../errors.js';
import { write, type WriteDeps } from '../unit-of-work.js';
import type { Clock } from '../clock.js';

export const SDK_KEY_PREFIX = 'sy_sdk_';

/** An SDK key as the API lists it (sdk/src/api.ts); the key itself is shown once, at creation. */
export type { SdkKeyView } from '../../sdk/src/api.js';

export function hashSdkKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function looksLikeSdkKey(token: string): boolean {
  return token.startsWith(SDK_KEY_PREFIX);
}

/** SDK keys are stored as SHA-256 hashes: the key itself is shown once, at creation. */
export class SdkKeyService {
  constructor(private readonly deps: WriteDeps & { clock: Clock }) {}

  async create(actor: Actor, name: string): Promise<SdkKeyView & { key: string }> {
    const key = SDK_KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
    const view: SdkKeyView = {
      id: crypto.randomUUID(),
      name,
      prefix: key.slice(0, SDK_KEY_PREFIX.length + 6),
      createdAt: this.deps.clock().toISOString(),
      createdBy: actor.sub,
      revokedAt: null,
      revokedBy: null,
    };
    await write(this.deps, actor, async (ctx) => {
      await ctx.trx
        .insertInto('sdk_keys')
        .values({
          id: view.id,
          name,
          key_hash: hashSdkKey(key),
          prefix: view.prefix,
          created_at: view.createdAt,
          created_by: view.createdBy,
          revoked_at: null,
          revoked_by: null,
        })
        .execute();
      await ctx.record({ action: 'sdk_key.create', after: view });
    });
    return { ...view, key };
  }

  async list(): Promise<SdkKeyView[]> {
    const rows = await this.deps.db.selectFrom('sdk_keys').selectAll().orderBy('created_at').execute();
    return rows.map(toView);
  }

  async revoke(actor: Actor, id: string, reason: string | undefined): Promise<SdkKeyView> {
    return write(this.deps, actor, async (ctx) => {
      const row = await ctx.trx.selectFrom('sdk_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFound(`SDK key "${id}" does not exist`);
      if (row.revoked_at !== null) return toView(row);
      const now = this.deps.clock().toISOString();
      await ctx.trx.updateTable('sdk_keys').set({ revoked_at: now, revoked_by: actor.sub }).where('id', '=', id).execute();
      const after = toView({ ...row, revoked_at: now, revoked_by: actor.sub });
      await ctx.record({ action: 'sdk_key.revoke', before: toView(row), after, reason: reason ?? null });
      return after;
    });
  }
}

/** Finds the live key a presented SDK key belongs to. */
export async function findSdkKey(db: Db, presented: string): Promise<{ id: string; name: string } | undefined> {
  if (!looksLikeSdkKey(presented)) return undefined;
  return db
    .selectFrom('sdk_keys')
    .select(['id', 'name'])
    .where('key_hash', '=', hashSdkKey(presented))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

function toView(r: {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
}): SdkKeyView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    createdBy: r.created_by,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}
