import { AuditAction, type Environment } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { Conflict, ConfigError, NotFound } from '../errors.js';
import type { Db } from '../storage/schema.js';
import { write, type WriteDeps } from '../unit-of-work.js';

/** Gives every flag a fresh row in `env` where it has none (the flags domain's, wired in services.ts: environments/ never imports flags/). */
export type FillPort = (db: Db, source: string, env: string, at: string, by: string) => Promise<number>;
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
    private readonly fill: FillPort,
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

  /** The keys of every environment not archived, in order. */
  async liveKeys(): Promise<string[]> {
    return (await listEnvironmentRows(this.deps.db, false)).map((e) => e.key);
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
      await this.fill(ctx.trx, this.defaultKey, input.key, at, actor.sub);
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
        if (!input.archived) await this.fill(ctx.trx, this.defaultKey, key, at, actor.sub);
      }
      const { key: _key, ...set } = next;
      if (!(await updateEnvironmentRow(ctx.trx, key, Number(row.version), set))) throw new Conflict('version_conflict', `environment "${key}" changed under you; reload it and try again`);
      const view = toEnvironment(next);
      await ctx.record({ action: AuditAction.EnvironmentUpdate, before: toEnvironment(row), after: view, environment: key });
      return view;
    });
  }
}
