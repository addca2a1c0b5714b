import path from 'node:path';
import { ConfigError } from './errors.js';
import { VARS, type ConfigVar, type SoFar } from './config-vars.js';

type Vars = typeof VARS;
type ValueOf<V> = V extends ConfigVar<infer T> ? T : never;
type OptionalKeys = { [K in keyof Vars]: undefined extends ValueOf<Vars[K]> ? K : never }[keyof Vars];

/**
 * The server's configuration: one field per variable of server/config-vars.ts (see there, or
 * `switchyard serve --help`, for each one's variable, default and meaning), and `dbFile`.
 */
export type Config = { [K in Exclude<keyof Vars, OptionalKeys>]: ValueOf<Vars[K]> } & { [K in OptionalKeys]?: ValueOf<Vars[K]> } & {
  /** The SQLite database file, DATA_DIR/switchyard.db (unused with DATABASE_URL). */
  dbFile: string;
};

/** One variable's text and the name it was set under (the new name first, else its former one); '' is unset. */
function raw(d: ConfigVar<unknown>, env: NodeJS.ProcessEnv): { name: string; text: string } | undefined {
  const now = env[d.env];
  const old = d.was === undefined ? undefined : env[d.was];
  if (now && old && now !== old) throw new ConfigError(`${d.was} (former name of ${d.env}) is "${old}" but ${d.env} is "${now}": set only ${d.env}`);
  if (now) return { name: d.env, text: now };
  return old ? { name: d.was!, text: old } : undefined;
}

/** Parses one variable's text; a refusal is one line naming the variable as it was set. */
function parse<T>(d: ConfigVar<T>, value: string, name = d.env): T {
  const r = d.parse.safeParse(value);
  if (r.success) return r.data;
  const message = r.error.issues[0]?.message ?? 'is not valid';
  throw new ConfigError(message.startsWith(name) ? message : `${name} ${message}`);
}

/**
 * Reads the configuration from the environment, one declaration per variable (server/config-vars.ts).
 * `overrides` (tests, embedders) replace a variable's value; later defaults and checks see them.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const c: Record<string, unknown> = {};
  const entries = Object.entries(VARS) as [keyof Config, ConfigVar<unknown>][];
  for (const [field, d] of entries) {
    if (field in overrides) {
      c[field] = overrides[field];
      continue;
    }
    const set = raw(d, env);
    c[field] = set === undefined ? (typeof d.dflt === 'function' ? (d.dflt as (c: SoFar) => unknown)(c) : d.dflt) : parse(d, set.text, set.name);
  }
  for (const [field, d] of entries) {
    const problem = d.check?.(c[field], c);
    if (problem) throw new ConfigError(problem);
  }
  c.dbFile = overrides.dbFile ?? path.join(c.dataDir as string, 'switchyard.db');
  return c as Config;
}

/** The former variable names set in `env`, each as a warning naming its new name (logged at start). */
export function deprecatedNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.values(VARS as Record<string, ConfigVar<unknown>>)
    .filter((d) => d.was !== undefined && env[d.was])
    .map((d) => `${d.was} is a former name: set ${d.env} instead (${d.was} still works for now)`);
}

/** DATABASE_URL (and the CLI's --database-url): a postgres:// URL, or undefined for SQLite. */
export function databaseUrl(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : parse(VARS.databaseUrl as ConfigVar<string>, v);
}
