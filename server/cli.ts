import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointInputError, checkpointPublicKeys, readCheckpointFile } from './audit/checkpoint-files.js';
import { allCheckpoints } from './audit/checkpoint-store.js';
import { verifyWithCheckpoints } from './audit/checkpoint-verify.js';
import { parseArgs } from 'node:util';
import { configFromEnv, databaseUrl as parseDatabaseUrl, deprecatedNames } from './config.js';
import { migrate } from './storage/migrator.js';
import { openSqlite } from './storage/sqlite.js';
import { openAuditSource, openCliDatabase } from './cli-database.js';
import { isRole, ROLES } from './auth/roles.js';
import { ENV_KEY, issueToken, loadSecretFile, MAX_SCOPED_ENVS, MAX_SCOPED_FLAGS, parseTtl, subjectProblem } from './auth/tokens.js';
import { createServices } from './services.js';
import { findSdkKey } from './auth/sdk-keys.js';
import { LocalChangeBus } from './changes.js';
import { systemClock } from './clock.js';
import { createLogger } from './log.js';
import { startServer } from './main.js';
import { HELP, USAGE, version } from './cli-help.js';
import { CliFailure, failureLine, unreachable, UsageError } from './cli-errors.js';

function need(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

async function serve(): Promise<void> {
  const config = configFromEnv();
  const running = await startServer({ config, printBanner: true });
  for (const warning of deprecatedNames()) running.log.warn(warning);
  const stop = (signal: string) => {
    running.log.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // SIGTERM (an orchestrator's stop, a rolling deploy) drains: docs/deploy.md.
  const drain = () => {
    running.log.info({ signal: 'SIGTERM', drainSeconds: running.config.drainSeconds }, 'draining: /readyz 503, SDKs told to reconnect elsewhere (1012), waiting for in-flight requests');
    running.drain().then(
      (settled) => {
        running.log.info({ settled }, settled ? 'drained; exiting' : `requests still in flight after DRAIN_SECONDS (${running.config.drainSeconds}) were cut; exiting`);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', drain);
}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { sub: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string', default: '8h' }, flags: { type: 'string' }, env: { type: 'string' }, init: { type: 'boolean', default: false } },
  });
  const sub = need(values.sub, '--sub');
  const subProblem = subjectProblem(sub);
  if (subProblem) throw new UsageError(`--sub: ${subProblem}`);
  const role = need(values.role, '--role');
  if (!isRole(role)) throw new UsageError(`unknown role "${role}"; one of: ${ROLES.join(', ')}`);
  const flags = values.flags === undefined ? undefined : scopedFlags(values.flags, role);
  const envs = values.env === undefined ? undefined : scopedEnvs(values.env, role);
  const config = configFromEnv();
  let ttl: number;
  try {
    ttl = parseTtl(values.ttl!, role === 'metrics' ? config.metricsTokenMaxTtlSeconds : config.maxTokenTtlSeconds);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; MAX_TOKEN_TTL${role === 'metrics' ? ' / SAMPLES_TOKEN_MAX_TTL' : ''} sets it`);
  }
  // A token signed with a secret made here would be refused by every server: make one only when asked.
  if (!values.init && !fs.existsSync(config.secretFile)) {
    throw new CliFailure(
      `no signing secret at ${config.secretFile}: DATA_DIR (${config.dataDir}) or SECRET_FILE is not the server's, and no server would accept a token signed with a new one; ` +
        'set DATA_DIR (or SECRET_FILE) to what the server uses, or pass --init to create a new secret for a new server',
    );
  }
  const { secret } = loadSecretFile(config.secretFile);
  process.stdout.write((await issueToken(secret, sub, role, ttl, { ...(flags ? { flags } : {}), ...(envs ? { envs } : {}) })) + '\n');
}

/** `--flags a,b`: the flags a metrics token may report for (its `flags` claim). */
function scopedFlags(list: string, role: string): string[] {
  if (role !== 'metrics') throw new UsageError(`--flags limits a metrics token to some flags; it does not apply to role "${role}"`);
  const flags = [...new Set(list.split(',').map((f) => f.trim()).filter(Boolean))];
  const bad = flags.find((f) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(f));
  if (flags.length === 0 || flags.length > MAX_SCOPED_FLAGS || bad !== undefined) {
    throw new UsageError(`--flags takes 1 to ${MAX_SCOPED_FLAGS} flag keys separated by commas${bad !== undefined ? `; "${bad}" is not a flag key` : ''}`);
  }
  return flags;
}

/** `--env staging,development`: the environments a metrics token may report for (its `envs` claim, issue 23). */
function scopedEnvs(list: string, role: string): string[] {
  if (role !== 'metrics') throw new UsageError(`--env limits a metrics token to some environments; it does not apply to role "${role}"`);
  const envs = [...new Set(list.split(',').map((e) => e.trim()).filter(Boolean))];
  const bad = envs.find((e) => !ENV_KEY.test(e));
  if (envs.length === 0 || envs.length > MAX_SCOPED_ENVS || bad !== undefined) {
    throw new UsageError(`--env takes 1 to ${MAX_SCOPED_ENVS} environment keys separated by commas${bad !== undefined ? `; "${bad}" is not an environment key` : ''}`);
  }
  return envs;
}

async function sdkKey(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, kind: { type: 'string', default: 'server' }, env: { type: 'string' } } });
  const name = need(values.name, '--name');
  const env = values.env === undefined ? undefined : envKey(values.env);
  const kind = values.kind;
  if (kind !== 'server' && kind !== 'client') throw new UsageError(`--kind is "server" (a backend: full flag states) or "client" (a browser or mobile app: evaluated answers only), not "${kind}"`);
  const config = configFromEnv();
  const opened = openCliDatabase(config, false);
  try {
    await migrate(opened.db);
    const services = createServices({ defaultEnvironment: config.defaultEnvironment, storage: opened, clock: systemClock, bus: new LocalChangeBus(), log: createLogger('silent') });
    const scope = await services.environments.scope(env).catch(() => {
      throw new UsageError(`--env "${env}": no such environment (GET /api/environments lists them)`);
    });
    const created = await services.sdkKeys.create({ sub: `cli:${os.userInfo().username}`, role: 'admin', requestId: null }, name, kind, false, scope);
    process.stdout.write(created.key + '\n');
  } finally {
    await opened.close();
  }
}

/** `--env`: an environment key, or one line saying what one looks like. */
function envKey(env: string): string {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(env)) throw new UsageError(`--env "${env}" is not an environment key (a lower-case letter, then up to 31 lower-case letters, digits or -), e.g. --env staging`);
  return env;
}

async function killOrRestore(action: 'kill' | 'restore', args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { reason: { type: 'string' }, url: { type: 'string' }, env: { type: 'string' } },
  });
  const flag = need(positionals[0], 'flag key');
  const env = values.env === undefined ? undefined : envKey(values.env);
  const reason = need(values.reason, '--reason');
  const base = values.url ?? process.env.SWITCHYARD_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
  const tok = need(process.env.SWITCHYARD_TOKEN, 'SWITCHYARD_TOKEN in the environment');
  if (!URL.canParse(base)) throw new UsageError(`--url (or SWITCHYARD_URL) "${base}" is not a URL; e.g. http://127.0.0.1:8080`);
  const where = env === undefined ? '/api' : `/api/envs/${env}`;
  const res = await fetch(new URL(`${where}/flags/${encodeURIComponent(flag)}/${action}`, base), {
    method: 'POST',
    headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reason }),
  }).catch((err: unknown) => {
    throw unreachable(action, base, err);
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const e = body.error as { code?: string; message?: string } | undefined;
    // Not the server's JSON error (a proxy's page, another service on that port): say where it came from.
    const said = e ? `${e.code ?? ''}: ${e.message ?? 'failed'}` : `${res.statusText || 'failed'} from ${base}, which did not answer as a switchyard server (check --url / SWITCHYARD_URL)`;
    process.stderr.write(`switchyard ${action} ${flag}: ${res.status} ${said}\n`);
    process.exitCode = 1;
    return;
  }
  const state = body.killed ? `killed (serving its off value) by ${String(body.killedBy)}` : 'live (restored)';
  process.stdout.write(`${flag}${env === undefined ? '' : ` in ${env}`}: ${state}${body.changed === false ? ' — it already was' : ''}\n`);
}

async function backup(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const target = need(positionals[0], 'backup file path');
  const config = configFromEnv();
  if (config.databaseUrl) {
    throw new UsageError(
      'DATABASE_URL is set: back up PostgreSQL with its own tools, e.g. `pg_dump --format=custom --file=switchyard.dump "$DATABASE_URL"` ' +
        '(restore: `pg_restore --dbname=postgres://…/switchyard_restored switchyard.dump`, then `switchyard verify-audit --database-url …`); see docs/runbook.md',
    );
  }
  if (!fs.existsSync(config.dbFile)) throw new UsageError(`no database at ${config.dbFile} (set DATA_DIR)`);
  const folder = path.dirname(path.resolve(target));
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new CliFailure(`the folder ${folder} of the backup file does not exist; create it first (mkdir -p ${folder}) or choose another path`);
  if (fs.existsSync(target)) throw new UsageError(`${target} already exists; choose a new file`);
  // Created 0600 before SQLite writes into it, like every data file: a backup holds the whole trail.
  fs.closeSync(fs.openSync(target, 'wx', 0o600));
  const opened = openSqlite({ dbFile: config.dbFile });
  try {
    // SQLite's online backup API: a consistent snapshot while the server keeps writing.
    await opened.sqlite.backup(target);
    fs.chmodSync(target, 0o600);
  } catch (err) {
    fs.rmSync(target, { force: true }); // no half-written copy left to be mistaken for a backup
    throw err;
  } finally {
    await opened.close();
  }
  const copy = openSqlite({ dbFile: target });
  try {
    const keys = checkpointPublicKeys([], config.checkpointKeyFile);
    const result = await verifyWithCheckpoints(copy.db, { checkpoints: keys.length ? await allCheckpoints(copy.db) : [], keys });
    const vouched = !keys.length
      ? ` (signed checkpoints not checked: no key file at ${config.checkpointKeyFile})`
      : result.checkpoints.checked
        ? `, ${result.checkpoints.checked} signed checkpoints hold (latest seq ${result.checkpoints.latest!.seq})`
        : '';
    const state = result.ok ? `chain verified${vouched}` : `BROKEN: ${result.problem}`;
    process.stdout.write(`backup written to ${target}: ${result.count} audit entries, ${state}, head ${result.head}\n`);
    if (!result.ok) process.exitCode = 1;
  } finally {
    await copy.close();
  }
}

function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof CheckpointInputError ? new UsageError(err.message) : err;
  }
}

async function verifyAudit(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'expect-head': { type: 'string' },
      'public-key': { type: 'string', multiple: true },
      checkpoints: { type: 'string', multiple: true },
      'database-url': { type: 'string' },
    },
  });
  if (values['database-url'] !== undefined && positionals[0] !== undefined) throw new UsageError('give a database file or --database-url, not both');
  // A file given is that file; else --database-url, else DATABASE_URL as serve reads it.
  const databaseUrl = positionals[0] === undefined ? (parseDatabaseUrl(values['database-url']) ?? configFromEnv().databaseUrl) : undefined;
  const exported = asUsage(() => (values.checkpoints ?? []).flatMap((f) => readCheckpointFile(f)));
  const { db, close } = openAuditSource(positionals[0], databaseUrl);
  try {
    const checkpoints = [...(await allCheckpoints(db)), ...exported];
    const keys = asUsage(() => checkpointPublicKeys(values['public-key'] ?? [], configFromEnv().checkpointKeyFile));
    if (checkpoints.length > 0 && keys.length === 0) {
      throw new UsageError(
        'there are signed checkpoints to check but no public key: pass --public-key FILE (publicKey.pem or .jwk of GET /api/audit/checkpoints), or set CHECKPOINT_KEY_FILE / DATA_DIR to where the key file is',
      );
    }
    const result = await verifyWithCheckpoints(db, { expectHead: values['expect-head'], checkpoints, keys });
    process.stdout.write(JSON.stringify(result) + '\n');
    if (!result.ok) process.exitCode = 1;
  } finally {
    await close();
  }
}

/** Revokes through the same service as POST /api/tokens/revoke, on the DATA_DIR database (safe while serving). */
async function revokeToken(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { jti: { type: 'string' }, sub: { type: 'string' }, before: { type: 'string' }, reason: { type: 'string' } } });
  const reason = need(values.reason, '--reason');
  if ((values.jti === undefined) === (values.sub === undefined)) throw new UsageError('give exactly one of --jti or --sub');
  if (values.before !== undefined && values.sub === undefined) throw new UsageError('--before goes with --sub');
  const before = values.before === undefined ? undefined : new Date(values.before);
  if (before !== undefined && Number.isNaN(before.getTime())) throw new UsageError(`--before must be an ISO time, e.g. 2026-12-01T10:00:00Z, got "${values.before}"`);
  const config = configFromEnv();
  const opened = openCliDatabase(config, true);
  try {
    await migrate(opened.db);
    const services = createServices({ storage: opened, clock: systemClock, bus: new LocalChangeBus(), log: createLogger('silent') });
    const actor = { sub: `cli:${os.userInfo().username}`, role: 'admin' as const, requestId: null };
    const target = values.jti !== undefined ? { jti: values.jti } : { sub: values.sub!, before };
    const done = await services.tokens.revoke(actor, target, reason);
    process.stdout.write(
      done.jti !== null ? `revoked token ${done.jti}\n` : `revoked every token of ${done.sub} issued before ${done.before}\n`,
    );
  } finally {
    await opened.close();
  }
}

/** Revokes an SDK key (by id, or by the key itself when it leaked) through the same service as POST /api/sdk-keys/:id/revoke. */
async function revokeSdkKey(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, key: { type: 'string' }, reason: { type: 'string' } } });
  const reason = need(values.reason, '--reason');
  if ((values.id === undefined) === (values.key === undefined)) throw new UsageError('give exactly one of --id (GET /api/sdk-keys) or --key (the key itself, sy_sdk_...)');
  const opened = openCliDatabase(configFromEnv(), true);
  try {
    await migrate(opened.db);
    const id = values.id ?? (await findSdkKey(opened.db, values.key!))?.id;
    if (id === undefined) throw new UsageError('no live SDK key matches that --key (already revoked, or another server\'s)');
    const services = createServices({ storage: opened, clock: systemClock, bus: new LocalChangeBus(), log: createLogger('silent') });
    const done = await services.sdkKeys.revoke({ sub: `cli:${os.userInfo().username}`, role: 'admin', requestId: null }, id, reason);
    process.stdout.write(`revoked SDK key ${done.id} (${done.name}, ${done.prefix}…) at ${done.revokedAt}; its streams close and its requests get 401\n`);
  } catch (err) {
    throw (err as { status?: number }).status === 404 ? new UsageError((err as Error).message) : err;
  } finally {
    await opened.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd !== undefined && HELP[cmd] !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(HELP[cmd]);
      return;
    }
    switch (cmd) {
      case 'serve':
        return await serve();
      case 'token':
        return await token(rest);
      case 'sdk-key':
        return await sdkKey(rest);
      case 'kill':
      case 'restore':
        return await killOrRestore(cmd, rest);
      case 'backup':
        return await backup(rest);
      case 'verify-audit':
        return await verifyAudit(rest);
      case 'revoke-token':
        return await revokeToken(rest);
      case 'revoke-sdk-key':
        return await revokeSdkKey(rest);
      case '--version':
      case '-v':
      case 'version':
        process.stdout.write(`switchyard ${version()}\n`);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write((rest[0] === undefined ? undefined : HELP[rest[0]]) ?? USAGE);
        return;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (err) {
    const { line, exitCode } = failureLine(err, cmd, cmd !== undefined && HELP[cmd] !== undefined);
    process.stderr.write(line + '\n');
    if (process.env.DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = exitCode;
  }
}

await main(process.argv.slice(2));
