import { freePort } from './free-port.js';
import { startTestProvider, type TestAccount, type TestProvider } from './oidc-provider.js';
import { startTestServer, type TestServer } from './server.js';
import type { Config } from '../../server/config.js';
import type { Clock } from '../../server/clock.js';

/** The people of the test provider: their login on its page → their claims. */
export const PEOPLE: Record<string, TestAccount> = {
  pat: { sub: 'pat', email: 'pat@acme.com', name: 'Pat Product', groups: ['everyone', 'product'] },
  ada: { sub: 'ada', email: 'ada@acme.com', name: 'Ada Admin', groups: ['sy-admins', 'product'] },
  sam: { sub: 'sam', email: 'sam@acme.com', name: 'Sam Sre', groups: ['sre'] },
  // Entra ID sends group object ids, not names: the map has a key for the id.
  eve: { sub: 'eve', email: 'eve@acme.com', name: 'Eve Entra', groups: ['6f1c0a52-0000-4000-8000-00000000a11c'] },
  // Claims an address the provider has not verified.
  una: { sub: 'una', email: 'ceo@acme.com', name: 'Una Unverified', groups: ['product'], extra: { email_verified: false } },
  nobody: { sub: 'nobody', email: 'nobody@acme.com', name: 'No Body', groups: ['everyone'] },
};

export const ROLE_MAP = { 'sy-admins': 'admin', product: 'pm', sre: 'oncall', '6f1c0a52-0000-4000-8000-00000000a11c': 'engineer' } as const;

/** A Switchyard server on a port chosen first (PUBLIC_URL must name it) and a real provider that knows it. */
export async function startWithProvider(opts: { config?: Partial<Config>; clock?: Clock; dataDir?: string } = {}): Promise<{ ts: TestServer; idp: TestProvider; publicUrl: string }> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const idp = await startTestProvider(publicUrl, PEOPLE);
  const ts = await startTestServer({
    clock: opts.clock,
    dataDir: opts.dataDir,
    config: { port, publicUrl, oidcIssuer: idp.issuer, oidcClientId: idp.clientId, oidcClientSecret: idp.clientSecret, oidcRoleMap: { ...ROLE_MAP }, ...opts.config },
  });
  return { ts, idp, publicUrl };
}

/** Calls Switchyard with a session cookie, as the admin UI does: same Origin, and the CSRF token on changes. */
export async function withSession(ts: TestServer, session: string, method: string, p: string, o: { body?: unknown; csrf?: string | null; origin?: string | null } = {}) {
  const headers: Record<string, string> = { cookie: `sy_session=${session}` };
  const origin = o.origin === undefined ? new URL(ts.running.config.publicUrl!).origin : o.origin;
  if (origin !== null) headers.origin = origin;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  return ts.api(method, p, { headers, body: o.body });
}
