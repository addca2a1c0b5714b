import { AuditAction, type Environment } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { Conflict, ConfigError, NotFound } from '../errors.js';
import { everyFlagRow, insertFlagRow } from '../flags/flag-store.js';
import type { FlagRow } from '../flags/flag-view.js';
import { nextStateVersion } from '../meta-store.js';
import { write, type WriteContext, type WriteDeps } from '../unit-of-work.js';
import { getEnvironmentRow, insertEnvironmentRow, listEnvironmentRows, toEnvironment, updateEnvironmentRow, type EnvironmentRow } from './environment-store.js';

export interface CreateEnvironmentInput {
  key: string;
  name: string;
  order?: number;
  protected?: boolean;
  requireSignoff?: boolean;
}

export interface PatchEnvironmentInput {
  version: number;
  name?: string;
  order?: number;
  protected?: boolean;
  requireSignoff?: boolean;
  archived?: boolean;
}

/** A flag's fresh row in an environment: its shared columns as they are, the environment's own as a new flag's (no plan, stage 0, live). */
function freshRow(from: FlagRow, env: string, at: string, by: string, stateVersion: number): FlagRow {
  return {
    ...from,
    environment: env,
    version: 1,
    killed: 0, killed_by: null, killed_at: null, kill_reason: null, kill_id: null,
    stage: 0, paused: 0, paused_by: null, paused_at: null, pause_reason: null, stage_started_at: null,
    plan: null, plan_version: 0, plan_author: null,
    updated_at: at, updated_by: by, state_version: stateVersion,
  };
}

/**
 * Environments as data (issue 23): list, create, rename, reorder, protect, archive (never
 * delete). Every flag route acts in one: `scope()` turns a route's `:env` (or none, the default
 * environment) into a key that exists, or a 404.
 */
export class EnvironmentService {
  constructor(
    private readonly deps: WriteDeps & { clock: Clock },
    /** DEFAULT_ENVIRONMENT: what every route without `:env` acts in. */
    readonly defaultKey: string,
  ) {}

  /** Refuses to start unless the default environment exists and is not archived. */
  async checkDefault(): Promise<void> {
    const row = await getEnvironmentRow(this.deps.db, this.defaultKey);
    if (!row || row.archived === 1) {
      throw new ConfigError(`DEFAULT_ENVIRONMENT "${this.defaultKey}" does not name an environment of this server (it must exist and not be archived)`);
    }
  }

  /** The environment a route acts in: `env` when given (a 404 unless it exists and is not archived), the default otherwise. */
  async scope(env: string | undefined): Promise<string> {
    if (env === undefined) return this.defaultKey;
    const row = await getEnvironmentRow(this.deps.db, env);
    if (!row || row.archived === 1) throw new NotFound(`environment "${env}" does not exist`);
    return row.key;
  }

  async list(): Promise<{ environments: Environment[] }> {
    return { environments: (await listEnvironmentRows(this.deps.db, true)).map(toEnvironment) };
  }

  async create(actor: Actor, input: CreateEnvironmentInput): Promise<Environment> {
    return write(this.deps, actor, async (ctx) => {
      const existing = await getEnvironmentRow(ctx.trx, input.key);
      if (existing) {
        throw new Conflict('environment_exists', `environment "${input.key}" already exists${existing.archived === 1 ? ' (archived; unarchive it with PATCH)' : ''}`);
      }
      const at = this.deps.clock().toISOString();
      const all = await listEnvironmentRows(ctx.trx, true);
      const row: EnvironmentRow = {
        key: input.key, name: input.name, position: input.order ?? all.reduce((m, e) => Math.max(m, Number(e.position) + 1), 0),
        protected: input.protected ? 1 : 0, require_signoff: input.requireSignoff === false ? 0 : 1, archived: 0, archived_at: null, archived_by: null,
        created_at: at, created_by: actor.sub, updated_at: at, updated_by: actor.sub, version: 1,
      };
      await insertEnvironmentRow(ctx.trx, row);
      await this.fillFlags(ctx, input.key, at, actor.sub);
      const view = toEnvironment(row);
      await ctx.record({ action: AuditAction.EnvironmentCreate, before: null, after: view, environment: input.key });
      return view;
    });
  }

  async update(actor: Actor, key: string, input: PatchEnvironmentInput): Promise<Environment> {
    return write(this.deps, actor, async (ctx) => {
      const row = await getEnvironmentRow(ctx.trx, key);
      if (!row) throw new NotFound(`environment "${key}" does not exist`);
      if (Number(row.version) !== input.version) {
        throw new Conflict('version_conflict', `environment "${key}" changed under you: you sent version ${input.version}, it is now at version ${row.version}; reload it and try again`, { expected: input.version, actual: Number(row.version) });
      }
      if (input.archived === true && key === this.defaultKey) {
        throw new Conflict('default_environment', `environment "${key}" is the default environment (DEFAULT_ENVIRONMENT) and cannot be archived`);
      }
      const at = this.deps.clock().toISOString();
      const next: EnvironmentRow = { ...row, version: Number(row.version) + 1, updated_at: at, updated_by: actor.sub };
      if (input.name !== undefined) next.name = input.name;
      if (input.order !== undefined) next.position = input.order;
      if (input.protected !== undefined) next.protected = input.protected ? 1 : 0;
      if (input.requireSignoff !== undefined) next.require_signoff = input.requireSignoff ? 1 : 0;
      if (input.archived !== undefined && input.archived !== (row.archived === 1)) {
        Object.assign(next, input.archived ? { archived: 1, archived_at: at, archived_by: actor.sub } : { archived: 0, archived_at: null, archived_by: null });
        // Flags created while it was archived get their fresh row now.
        if (!input.archived) await this.fillFlags(ctx, key, at, actor.sub);
      }
      const { key: _key, ...set } = next;
      if (!(await updateEnvironmentRow(ctx.trx, key, Number(row.version), set))) throw new Conflict('version_conflict', `environment "${key}" changed under you; reload it and try again`);
      const view = toEnvironment(next);
      await ctx.record({ action: AuditAction.EnvironmentUpdate, before: toEnvironment(row), after: view, environment: key });
      return view;
    });
  }

  /** Inserts a fresh row in `env` for every flag without one (same salt: a user's bucket is the same in every environment). */
  private async fillFlags(ctx: WriteContext, env: string, at: string, by: string): Promise<void> {
    const source = await everyFlagRow(ctx.trx, this.defaultKey);
    const have = new Set((await everyFlagRow(ctx.trx, env)).map((r) => r.key));
    const missing = source.filter((r) => !have.has(r.key));
    if (missing.length === 0) return;
    const stateVersion = await nextStateVersion(ctx.trx);
    for (const r of missing) await insertFlagRow(ctx.trx, freshRow(r, env, at, by, stateVersion));
  }
}

