// One real Unleash server (npm `unleash-server`) in its own process, offline (no version check,
// no telemetry), on DATABASE (a database name on the PostgreSQL at PGPORT). Prints `listening PORT`.
// Tokens come from INIT_ADMIN_API_TOKENS / INIT_BACKEND_API_TOKENS (set by bench/lib/unleash.mjs).
import { start } from 'unleash-server';

const port = Number(process.env.UNLEASH_PORT);
await start({
  db: { host: '127.0.0.1', port: Number(process.env.PGPORT), user: 'postgres', password: process.env.PGPASSWORD, database: process.env.DATABASE, ssl: false },
  server: { host: '127.0.0.1', port },
  authentication: { type: 'open-source', enableApiToken: true, createAdminUser: false },
  versionCheck: { enable: false },
  logLevel: 'error',
});
console.log(`listening ${port}`);
