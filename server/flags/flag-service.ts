import { AuditAction, type FlagEnvironmentState, type FlagListItem, type FlagListPage, type FlagView } from '@switchyard-flags/sdk/api';
import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { listEnvironmentRows } from '../environments/environment-store.js';
import type { Db } from '../storage/schema.js';
import crypto from 'node:crypto';
import type { Actor } from '../actor.js';
import { nextStateVersion } from '../meta-store.js';
import { Conflict, NotFound, ValidationError } from '../errors.js';
import { write } from '../unit-of-work.js';
import { mutateFlag, type FlagMutationDeps } from './flag-mutation.js';
import { checkLease, type CreateFlagInput, type PatchFlagInput } from './flag-schemas.js';
import { flagRowsOfKey, getFlagRow, insertFlagRow, listFlagPage, listFlagRows, stateRowsOfKeys, type FlagListFilter, type FlagPatch } from './flag-store.js';
import { LIST_VALUE_BYTES, parsePlan, stagePercent, toFlagListItem, toFlagView, type FlagRow } from './flag-view.js';

/**
 * Each non-archived environment's stage, percent, kill, pause and plan version of `keys`: two
 * reads for a whole page (the environments, then every row of the keys), never one per flag.
 */
export async function environmentStates(db: Db, keys: string[]): Promise<Map<string, Record<string, FlagEnvironmentState>>> {
  const out = new Map<string, Record<string, FlagEnvironmentState>>();
  if (keys.length === 0) return out;
  const live = new Set((await listEnvironmentRows(db, false)).map((e) => e.key));
  for (const r of await stateRowsOfKeys(db, keys)) {
    if (!live.has(r.environment)) continue;
    const states = out.get(r.key) ?? {};
    states[r.environment] = { stage: r.stage, percent: stagePercent(parsePlan(r), r.stage), killed: r.killed === 1, paused: r.paused === 1, planVersion: Number(r.plan_version) };
    out.set(r.key, states);
  }
  return out;
}

/** About how many bytes of JSON one page of the flag list holds before it ends with a cursor. */
export const LIST_PAGE_BYTES = 1024 * 1024;
/** A flag's JSON beside its description, tags and values (keys, times, names): a generous estimate. */
const ROW_OVERHEAD = 1024;

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'object' : typeof v;
}

/** HEARTBEAT_MS unless set: how often push streams beat (a flag's lease must outlast two). */
export const DEFAULT_HEARTBEAT_MS = 15_000;

export class FlagService {
  constructor(
    private readonly deps: FlagMutationDeps & EnvDeps,
    private readonly lease: { heartbeatMs: number } = { heartbeatMs: DEFAULT_HEARTBEAT_MS },
  ) {}

  /** The environment a call acts in: the one given, else DEFAULT_ENVIRONMENT. */
  private env(env: string | undefined): string {
    return envOr(this.deps, env);
  }

  async list(f: FlagListFilter, env?: string): Promise<FlagView[]> {
    return (await listFlagRows(this.deps.db, this.env(env), f)).map(toFlagView);
  }

  /**
   * One page of the flag list, in key order: at most `limit` flags and about LIST_PAGE_BYTES of
   * JSON (always at least one flag), `next` the cursor of the rest. A page's cost is bounded
   * whatever the flags hold, so a viewer reading the list cannot hold up a kill (issue 20 #9).
   */
  async page(f: FlagListFilter, cursor: string | undefined, limit: number, full: boolean, env?: string): Promise<FlagListPage> {
    const rows = await listFlagPage(this.deps.db, this.env(env), f, cursor, limit + 1, full ? undefined : LIST_VALUE_BYTES);
    const flags: FlagListItem[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, limit)) {
      flags.push(toFlagListItem(row));
      bytes += ROW_OVERHEAD + row.description.length + row.tags.length + (row.on_value?.length ?? 0) + (row.off_value?.length ?? 0);
      if (bytes >= LIST_PAGE_BYTES) break;
    }
    const states = await environmentStates(this.deps.db, flags.map((f) => f.key));
    const withStates = flags.map((f) => ({ ...f, environments: states.get(f.key) ?? {} }));
    return { flags: withStates, next: rows.length > flags.length ? flags[flags.length - 1]!.key : null };
  }

  /** The flag in `env`, with `environments`: its state in every non-archived environment. */
  async get(key: string, env?: string): Promise<FlagView> {
    const row = await getFlagRow(this.deps.db, this.env(env), key);
    if (!row) throw new NotFound(`flag "${key}" does not exist`);
    const states = await environmentStates(this.deps.db, [key]);
    return { ...toFlagView(row), environments: states.get(key) ?? {} };
  }

  /** A flag's answer with `environments` beside it, as `GET /api/flags/:key` has it (what a write answers). */
  async withStates(view: FlagView): Promise<FlagView> {
    const states = await environmentStates(this.deps.db, [view.key]);
    return { ...view, environments: states.get(view.key) ?? {} };
  }

  /** Creates the flag with a row in every non-archived environment (no plan, stage 0, live), audited in `env`. */
  async create(actor: Actor, input: CreateFlagInput, scope?: string): Promise<FlagView> {
    const env = this.env(scope);
    checkLease(input.maxStaleSeconds, this.lease.heartbeatMs);
    const created = await write(this.deps, actor, async (ctx) => {
      const existing = (await flagRowsOfKey(ctx.trx, input.key))[0];
      if (existing) {
        throw new Conflict(
          'flag_exists',
          existing.archived === 1
            ? `flag "${input.key}" exists (archived); flag keys are never reused`
            : `flag "${input.key}" already exists`,
        );
      }
      const now = this.deps.clock().toISOString();
      const stateVersion = await nextStateVersion(ctx.trx);
      const row: FlagRow = {
        environment: env,
        key: input.key,
        description: input.description,
        owner: input.owner,
        tags: JSON.stringify(input.tags),
        on_value: JSON.stringify(input.on),
        off_value: JSON.stringify(input.off),
        salt: crypto.randomBytes(8).toString('hex'),
        version: 1,
        archived: 0,
        archived_at: null,
        archived_by: null,
        killed: 0,
        killed_by: null,
        killed_at: null,
        kill_reason: null,
        kill_id: null,
        stage: 0,
        paused: 0,
        paused_by: null,
        paused_at: null,
        pause_reason: null,
        stage_started_at: null,
        plan: null,
        plan_version: 0,
        plan_author: null,
        created_at: now,
        created_by: actor.sub,
        updated_at: now,
        updated_by: actor.sub,
        state_version: stateVersion,
        max_stale_seconds: input.maxStaleSeconds ?? null,
      };
      for (const e of await listEnvironmentRows(ctx.trx, false)) await insertFlagRow(ctx.trx, { ...row, environment: e.key });
      const view = toFlagView(row);
      await ctx.record({ action: AuditAction.FlagCreate, flag: row.key, before: null, after: view, environment: env });
      ctx.announce({ type: 'flag', key: row.key, stateVersion, flagVersion: 1, action: AuditAction.FlagCreate, environment: env });
      return view;
    });
    // As GET /api/flags/:key answers it: with its state in every environment.
    return { ...created, environments: (await environmentStates(this.deps.db, [created.key])).get(created.key) ?? {} };
  }

  async update(actor: Actor, key: string, input: PatchFlagInput, scope?: string): Promise<FlagView> {
    const env = this.env(scope);
    checkLease(input.maxStaleSeconds, this.lease.heartbeatMs);
    const r = await mutateFlag(this.deps, actor, {
      env,
      key,
      action: AuditAction.FlagUpdate,
      reason: input.reason ?? null,
      expectedVersion: input.version,
      change: (row) => {
        const on = input.on === undefined ? JSON.parse(row.on_value) : input.on;
        const off = input.off === undefined ? JSON.parse(row.off_value) : input.off;
        if (kindOf(on) !== kindOf(off)) {
          throw new ValidationError('on and off must be of the same type', [
            { path: input.on === undefined ? 'off' : 'on', message: `the flag serves ${kindOf(input.on === undefined ? on : off)} values` },
          ]);
        }
        const patch: FlagPatch = {};
        if (input.description !== undefined) patch.description = input.description;
        if (input.owner !== undefined) patch.owner = input.owner;
        if (input.tags !== undefined) patch.tags = JSON.stringify(input.tags);
        if (input.on !== undefined) patch.on_value = JSON.stringify(input.on);
        if (input.off !== undefined) patch.off_value = JSON.stringify(input.off);
        if (input.maxStaleSeconds !== undefined) patch.max_stale_seconds = input.maxStaleSeconds;
        return patch;
      },
    });
    return r.flag;
  }

  async archive(actor: Actor, key: string, reason: string | undefined, expectedVersion: number | undefined, scope?: string): Promise<FlagView> {
    const env = this.env(scope);
    const r = await mutateFlag(this.deps, actor, {
      env,
      key,
      action: AuditAction.FlagArchive,
      reason: reason ?? null,
      expectedVersion,
      change: async (row, ctx, now) => {
        // Archiving removes the flag from every SDK, which then serves each caller's fallback:
        // for a killed flag that would be an un-kill nobody could undo (a new kill answers 404).
        // Archiving is the flag's (every environment): a kill in any environment holds it.
        const killedIn = (await flagRowsOfKey(ctx.trx, key)).find((r) => r.killed === 1);
        if (killedIn) {
          if (killedIn.environment !== env) {
            throw new Conflict('flag_killed', `flag "${key}" is killed in ${killedIn.environment}: archiving it would take the kill away from its SDKs; restore it there or keep it killed`, { killed: true, killId: killedIn.kill_id });
          }
          throw new Conflict(
            'flag_killed',
            `flag "${key}" is killed: archiving it would take the kill away from every SDK (they would serve each caller's fallback instead of the off value); restore it or keep it killed`,
            { killed: true, killId: row.kill_id },
          );
        }
        return { archived: 1, archived_at: now.toISOString(), archived_by: actor.sub };
      },
    });
    return r.flag;
  }

  /** Brings an archived flag back (admins only, with a reason): SDKs get it again as it was. */
  async unarchive(actor: Actor, key: string, reason: string, expectedVersion: number | undefined, scope?: string): Promise<FlagView> {
    const env = this.env(scope);
    const r = await mutateFlag(this.deps, actor, {
      env,
      key,
      action: AuditAction.FlagUnarchive,
      reason,
      expectedVersion,
      allowArchived: true,
      change: (row) => {
        if (row.archived !== 1) throw new Conflict('not_archived', `flag "${key}" is not archived; there is nothing to unarchive`);
        return { archived: 0, archived_at: null, archived_by: null };
      },
    });
    return r.flag;
  }
}
