import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

/** A user of the test provider: the login typed on its login page (any password) names one, and is its subject. */
export interface TestAccount {
  sub: string;
  email?: string;
  name?: string;
  groups?: string[];
  /** Any other claim (e.g. `realm_access`), released with the `profile` scope. */
  extra?: Record<string, unknown>;
}

/** What a tampering test does to the ID token the token endpoint answers with. */
export type IdTokenTamper = { claims: Partial<JWTPayload> } | { foreignKey: true };

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The next token responses' ID token is altered (re-signed with the provider's own key, or a foreign one) until reset to undefined. */
  tamper: IdTokenTamper | undefined;
  /** The claims of the last ID token the token endpoint issued (before any tampering). */
  lastIdToken?: JWTPayload;
  /** Stops answering (connections refused): the provider is down. */
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (npm `oidc-provider`, its dev login pages) on loopback port 0, with
 * one confidential client whose redirect URI is `publicUrl/auth/callback`. Scope claims come from
 * userinfo only (the provider's default when an access token is issued), so the sign-in must
 * read `groups` from there. Consent is skipped (a first-party client).
 */
export async function startTestProvider(publicUrl: string, accounts: Record<string, TestAccount>): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const foreign = (await generateKeyPair('RS256', { extractable: true })).privateKey;
  const clientId = 'switchyard';
  const clientSecret = 'a-test-client-secret-of-decent-length';
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl}/auth/callback`], post_logout_redirect_uris: [`${publicUrl}/`], grant_types: ['authorization_code'], response_types: ['code'] }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups', 'realm_access'] },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, id: string) {
      const a = accounts[id];
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: a.email ? true : undefined, name: a.name, groups: a.groups, ...a.extra }) };
    },
    async loadExistingGrant(ctx: any) {
      const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });
  const tp: TestProvider = {
    issuer,
    clientId,
    clientSecret,
    tamper: undefined,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  provider.use(async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (ctx.path !== '/token' || typeof ctx.body?.id_token !== 'string') return;
    const payload = decodeJwt(ctx.body.id_token);
    tp.lastIdToken = payload;
    const t = tp.tamper;
    if (!t) return;
    const claims = 'claims' in t ? { ...payload, ...t.claims } : payload;
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign('foreignKey' in t ? foreign : privateKey) };
  });
  server.on('request', provider.callback());
  return tp;
}

/** A cookie jar for one host (the test's servers all live on 127.0.0.1): name → value. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface SignInOutcome {
  /** The last answer (Switchyard's redirect into the UI, or its refusal page). */
  res: Response;
  text: string;
  jar: CookieJar;
  /** The session cookie's value, when one was set. */
  session?: string;
  /** The URL the provider sent the browser back to (Switchyard's callback, with code and state). */
  callback?: string;
}

/**
 * Signs in as a browser would, without one: Switchyard's /auth/login, the provider's login page
 * (the form is posted with `login` and any password), back to Switchyard's callback. `atCallback`
 * may change the callback URL (a wrong state) or return false to stop there.
 */
export async function signInHeadless(serverUrl: string, login: string, opts: { returnTo?: string; atCallback?: (url: URL, jar: CookieJar) => URL | false; jar?: CookieJar } = {}): Promise<SignInOutcome> {
  const jar = opts.jar ?? new CookieJar();
  let url = `${serverUrl}/auth/login${opts.returnTo ? `?return=${encodeURIComponent(opts.returnTo)}` : ''}`;
  let init: RequestInit = {};
  let callback: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(`${serverUrl}/auth/callback`)) {
      let u = new URL(url);
      if (opts.atCallback) {
        const r = opts.atCallback(u, jar);
        if (r === false) return { res: new Response(null, { status: 299 }), text: '', jar, callback: url };
        u = r;
      }
      url = callback = u.href;
    }
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(res);
    init = {};
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      if (url.startsWith(`${serverUrl}/`) && !url.startsWith(`${serverUrl}/auth/login`)) return { res, text: '', jar, session: jar.cookies.get('sy_session'), callback };
      url = new URL(location, url).href;
      continue;
    }
    const text = await res.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[\s\S]*?name="prompt" value="login"/.exec(text);
    if (form && !url.startsWith(`${serverUrl}/`)) {
      url = new URL(form[1]!.replace(/&amp;/g, '&'), url).href;
      init = { method: 'POST', body: new URLSearchParams({ prompt: 'login', login, password: 'any' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    return { res, text, jar, session: jar.cookies.get('sy_session'), callback };
  }
  throw new Error('signInHeadless: too many redirects');
}
