import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Role } from '../server/auth/roles.js';
import { parseAllowlist } from '../server/rollout/webhook-destination.js';
import type { ApiResponse, TestServer } from './helpers/server.js';

/**
 * A clock the test moves by hand: services read it, nobody sleeps. `advanceMinutes` and `set`
 * are time passing (wall and monotonic readings move together); `stepWallMinutes` is an operator
 * or NTP stepping the wall clock, which a monotonic reading does not see.
 */
export function manualClock(start = '2026-06-01T09:00:00.000Z') {
  let t = Date.parse(start);
  let stepped = 0;
  return {
    clock: Object.assign(() => new Date(t), { monotonic: () => t - stepped }),
    advanceMinutes(m: number) {
      t += m * 60_000;
    },
    set(iso: string) {
      t = Date.parse(iso);
    },
    stepWallMinutes(m: number) {
      t += m * 60_000;
      stepped += m * 60_000;
    },
    iso: () => new Date(t).toISOString(),
  };
}

/** Calls the API as a named user of a role. */
export async function as(ts: TestServer, role: Role, sub: string, method: string, p: string, body?: unknown): Promise<ApiResponse> {
  return ts.api(method, p, { token: await ts.token(role, sub), body });
}

export const putPlan = (ts: TestServer, key: string, plan: unknown, author = 'pm-author') => as(ts, 'pm', author, 'PUT', `/api/flags/${key}/plan`, plan);
/**
 * The evidence a sign-off now signs (`snapshotId` of GET /gates, required by the API). A flag with
 * no next stage (no plan, or at its last stage) has none: a well-formed id that matches nothing,
 * so the answer is the service's own (409 no_plan, rollout_complete).
 */
export async function snapshotIdOf(ts: TestServer, key: string): Promise<string> {
  return (await ts.api('GET', `/api/flags/${key}/gates`, { as: 'viewer' })).body?.snapshotId ?? '000000000000';
}
/** Signs off as a PM, on the evidence the gates show now unless `body` names a snapshotId. */
export const signoff = async (ts: TestServer, key: string, pm: string, body: Record<string, unknown> = {}) =>
  as(ts, 'pm', pm, 'POST', `/api/flags/${key}/signoffs`, { comment: `reviewed by ${pm}`, snapshotId: await snapshotIdOf(ts, key), ...body });
export const advance = (ts: TestServer, key: string, body: Record<string, unknown> = {}, pm = 'pm-bob') =>
  as(ts, 'pm', pm, 'POST', `/api/flags/${key}/advance`, { reason: 'gates hold', ...body });
export const report = (ts: TestServer, samples: unknown[]) => ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples } });

/** Signs off the next stage with a PM other than the author, then advances. Throws if it fails. */
export async function signAndAdvance(ts: TestServer, key: string, pm = 'pm-bob'): Promise<ApiResponse> {
  const s = await signoff(ts, key, pm);
  if (s.status !== 201) throw new Error(`signoff: ${s.status} ${s.text}`);
  const a = await advance(ts, key, {}, pm);
  if (a.status !== 200) throw new Error(`advance: ${a.status} ${a.text}`);
  return a;
}

export async function auditOf(ts: TestServer, key: string, action: string): Promise<any[]> {
  const r = await ts.api('GET', `/api/audit?flag=${key}&action=${action}`, { as: 'admin' });
  if (r.status !== 200) throw new Error(`audit: ${r.status} ${r.text}`);
  return r.body.entries ?? r.body.items ?? r.body;
}

export interface Hook {
  url: string;
  received: any[];
  /** Resolves once `n` notices have arrived. */
  waitFor(n: number): Promise<any[]>;
  close(): Promise<void>;
}

/** The receivers below listen on loopback, which a server refuses as a webhook destination unless allowlisted. */
export const LOOPBACK_RECEIVERS = parseAllowlist('127.0.0.1');

/** A real webhook receiver on port 0: answers `status`, or never answers when `hang`. */
export async function webhookServer(opts: { status?: number; hang?: boolean } = {}): Promise<Hook> {
  const received: any[] = [];
  const waiters: Array<{ n: number; resolve: (v: any[]) => void }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ ...JSON.parse(body), _headers: req.headers, _body: body });
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve(received);
      if (opts.hang) return;
      res.statusCode = opts.status ?? 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook/secret-path`,
    received,
    waitFor: (n) => (received.length >= n ? Promise.resolve(received) : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Creates `staging` and orders it before `production` (order 5 and 10): production's previous environment. */
export async function stagingBeforeProduction(ts: TestServer): Promise<void> {
  const prod = await ts.api('PATCH', '/api/environments/production', { as: 'admin', body: { version: 1, order: 10 } });
  if (prod.status !== 200) throw new Error(`production order: ${prod.status} ${prod.text}`);
  const staging = await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'staging', name: 'Staging', order: 5 } });
  if (staging.status !== 201) throw new Error(`staging: ${staging.status} ${staging.text}`);
}
