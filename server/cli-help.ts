import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLES } from './auth/roles.js';
import { VARS, type ConfigVar } from './config-vars.js';

/** Every configuration variable, its default and its line of help, from the declarations (server/config-vars.ts). */
const VARIABLES = Object.values(VARS as Record<string, ConfigVar<unknown>>)
  .map((d) => `  ${d.env} (${d.shown.replaceAll('`', '')})  ${d.help}${d.was ? ` (formerly ${d.was}, still read)` : ''}`)
  .join('\n');

/** Each command's own help: what `switchyard <command> --help` prints, and nothing else happens. */
export const HELP: Record<string, string> = {
  serve: `usage: switchyard serve

  Runs the server. One server per DATA_DIR: a second one exits naming the first one's pid.
  Configured by the environment (the README's configuration table says more), default in brackets:
${VARIABLES}
`,
  token: `usage: switchyard token --sub <name> --role <role> [--ttl 8h] [--flags a,b] [--env staging,development] [--init]

  Prints a signed user token for the server on DATA_DIR (signed with SECRET_FILE, default
  DATA_DIR/secret). Refuses when that secret does not exist: no server would accept the token.
  --sub <name>    who the token is for (recorded in the audit trail)
  --role <role>   one of: ${ROLES.join(', ')}
  --ttl <d>       lifetime, e.g. 30m, 8h, 7d (default 8h; at most MAX_TOKEN_TTL, 30d by default)
  --flags <a,b>   role metrics only: the flags the token may report samples for (others get 403)
  --env <a,b>     role metrics only: the environments the token may report samples for (others get 403)
  --init          create the secret (0600) when there is none, for a server not started yet
`,
  'sdk-key': `usage: switchyard sdk-key --name <service> [--kind server|client] [--env <environment>]

  Creates an SDK key in the database serve uses (DATABASE_URL's PostgreSQL, else DATA_DIR's
  SQLite) and prints it (shown once; only its hash is kept).
  --name <service>  the service the key is for
  --kind <kind>     server (default): a backend, reads full flag states (/sdk/flags, /sdk/stream);
                    client: a browser or mobile app, gets only answers evaluated for the context
                    it sends (OFREP), refused on the full-state routes
  --env <env>       the one environment the key belongs to (default DEFAULT_ENVIRONMENT)
`,
  kill: `usage: switchyard kill <flag> --reason "..." [--env <environment>] [--url URL]

  Kills a flag on a running server. The token comes from SWITCHYARD_TOKEN.
  --reason "..."  why (recorded in the audit trail)
  --env <env>     in this environment only (default: the server's DEFAULT_ENVIRONMENT)
  --url URL       the server (default SWITCHYARD_URL, else http://127.0.0.1:$PORT)
`,
  restore: `usage: switchyard restore <flag> --reason "..." [--env <environment>] [--url URL]

  Restores a killed flag on a running server. The token comes from SWITCHYARD_TOKEN.
  --reason "..."  why (recorded in the audit trail)
  --env <env>     in this environment only (default: the server's DEFAULT_ENVIRONMENT)
  --url URL       the server (default SWITCHYARD_URL, else http://127.0.0.1:$PORT)
`,
  backup: `usage: switchyard backup <file>

  Writes a consistent online copy of the DATA_DIR database to <file> (a new file, mode 0600,
  in a folder that exists; safe while serving) and verifies the copy's audit chain. SQLite only: with DATABASE_URL it refuses and names
  the pg_dump command to use instead (docs/runbook.md).
`,
  'verify-audit': `usage: switchyard verify-audit [<file> | --database-url postgres://…] [--expect-head H] [--public-key FILE]... [--checkpoints FILE]...

  Checks a database file's audit hash chain offline, and against the signed checkpoints (the
  file's own and exported copies). --database-url checks a PostgreSQL database instead, in a
  read-only session; with neither, the DATABASE_URL database serve uses.
  --expect-head H       also require the chain to end at this head hash (kept elsewhere)
  --public-key FILE     a checkpoint public key, PEM or JWK (repeatable; default: the one of
                        CHECKPOINT_KEY_FILE / DATA_DIR/checkpoint-key)
  --checkpoints FILE    exported checkpoints: a saved GET /api/audit/checkpoints answer, a JSON
                        array or JSON lines (repeatable)
`,
  'revoke-sdk-key': `usage: switchyard revoke-sdk-key (--id <id> | --key <sy_sdk_...>) --reason "..."

  Revokes an SDK key in the database serve uses (safe while serving), audited as the CLI user:
  its requests get 401 at once and a running server closes its streams (websockets with 4401,
  OFREP event streams) within a quarter second on SQLite, within a heartbeat on PostgreSQL.
  --id <id>        the key's id (GET /api/sdk-keys)
  --key <key>      the key itself, e.g. a client key found in a browser bundle
  --reason "..."   why (recorded in the audit trail)
`,
  'revoke-token': `usage: switchyard revoke-token (--jti <id> | --sub <name> [--before <time>]) --reason "..."

  Revokes user tokens in the database serve uses (DATABASE_URL, else DATA_DIR; audited; a running server refuses them on
  its next request and closes their streams within a heartbeat).
  --jti <id>       the token with this id
  --sub <name>     every token of this subject issued before --before (default: now)
  --before <time>  an ISO time, e.g. 2026-12-01T10:00:00Z
  --reason "..."   why (recorded in the audit trail)
`,
};

export const USAGE = `usage: switchyard <command> [options]      (switchyard <command> --help for its options)

  serve                                   run the server (serve --help lists its variables)
  token --sub <name> --role <role> [--ttl 8h]
                                          print a signed user token (roles: ${ROLES.join(', ')})
  sdk-key --name <service> [--kind client]
                                          create an SDK key and print it (shown once)
  kill <flag> --reason "..." [--url URL]  kill a flag on a running server (token in SWITCHYARD_TOKEN)
  restore <flag> --reason "..." [--url URL]
  backup <file>                           consistent online copy of the database (safe while serving)
  verify-audit <file> | --database-url URL [--expect-head H] [--public-key FILE]... [--checkpoints FILE]...
                                          check a database file's audit chain offline and against
                                          the signed checkpoints
  revoke-token --jti <id> | --sub <name> [--before <time>]   revoke user tokens
  revoke-sdk-key --id <id> | --key <sy_sdk_...> --reason "..."  revoke an SDK key (its streams close)
  --version                               print the version
`;

/** package.json sits one level above both server/cli.ts and dist/cli.js. */
export function version(): string {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

