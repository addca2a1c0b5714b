import { AuditAction, type FlagListItem, type FlagListPage, type FlagView } from '@switchyard-flags/sdk/api';
import crypto from 'node:crypto';
import type { Actor } from '../actor.js';
import { nextStateVersion } from '../meta-store.js';
import { Conflict, NotFound, ValidationError } from '../errors.js';
import { write } from '../unit-of-work.js';
import { mutateFlag, type FlagMutationDeps } from './flag-mutation.js';
import { checkLease, type CreateFlagInput, type PatchFlagInput } from './flag-schemas.js';
import { getFlagRow, insertFlagRow, listFlagPage, listFlagRows, type FlagListFilter, type FlagPatch } from './flag-store.js';
import { LIST_VALUE_BYTES, toFlagListItem, toFlagView, type FlagRow } from './flag-view.js';

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
    private readonly deps: FlagMutationDeps,
    private readonly lease: { heartbeatMs: number } = { heartbeatMs: DEFAULT_HEARTBEAT_MS },
  ) {}

  async list(f: FlagListFilter): Promise<FlagView[]> {
    return (await listFlagRows(this.deps.db, f)).map(toFlagView);
  }

  /**
   * One page of the flag list, in key order: at most `limit` flags and about LIST_PAGE_BYTES of
   * JSON (always at least one flag), `next` the cursor of the rest. A page's cost is bounded
   * whatever the flags hold, so a viewer reading the list cannot hold up a kill (issue 20 #9).
   */
  async page(f: FlagListFilter, cursor: string | undefined, limit: number, full: boolean): Promise<FlagListPage> {
    const rows = await listFlagPage(this.deps.db, f, cursor, limit + 1, full ? undefined : LIST_VALUE_BYTES);
    const flags: FlagListItem[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, limit)) {
      flags.push(toFlagListItem(row));
      bytes += ROW_OVERHEAD + row.description.length + row.tags.length + (row.on_value?.length ?? 0) + (row.off_value?.length ?? 0);
      if (bytes >= LIST_PAGE_BYTES) break;
    }
    return { flags, next: rows.length > flags.length ? flags[flags.length - 1]!.key : null };
  }

  async get(key: string): Promise<FlagView> {
    const row = await getFlagRow(this.deps.db, key);
    if (!row) throw new NotFound(`flag "${key}" does not exist`);
    return toFlagView(row);
  }

  async create(actor: Actor, input: CreateFlagInput): Promise<FlagView> {
    checkLease(input.maxStaleSeconds, this.lease.heartbeatMs);
    return write(this.deps, actor, async (ctx) => {
      const existing = await getFlagRow(ctx.trx, input.key);
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
      await insertFlagRow(ctx.trx, row);
      const view = toFlagView(row);
      await ctx.record({ action: AuditAction.FlagCreate, flag: row.key, before: null, after: view });
      ctx.announce({ type: 'flag', key: row.key, stateVersion, flagVersion: 1, action: AuditAction.FlagCreate });
      return view;
    });
  }

  async update(actor: Actor, key: string, input: PatchFlagInput): Promise<FlagView> {
    checkLease(input.maxStaleSeconds, this.lease.heartbeatMs);
    const r = await mutateFlag(this.deps, actor, {
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

  async archive(actor: Actor, key: string, reason: string | undefined, expectedVersion: number | undefined): Promise<FlagView> {
    const r = await mutateFlag(this.deps, actor, {
      key,
      action: AuditAction.FlagArchive,
      reason: reason ?? null,
      expectedVersion,
      change: (row, _ctx, now) => {
        // Archiving removes the flag from every SDK, which then serves each caller's fallback:
        // for a killed flag that would be an un-kill nobody could undo (a new kill answers 404).
        if (row.killed === 1) {
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
  async unarchive(actor: Actor, key: string, reason: string, expectedVersion: number | undefined): Promise<FlagView> {
    const r = await mutateFlag(this.deps, actor, {
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
