import crypto from 'node:crypto';
import * as oidc from 'openid-client';

/** What the relying party needs to know (from OIDC_* and PUBLIC_URL). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  /** PUBLIC_URL: the redirect URI is PUBLIC_URL/auth/callback. */
  publicUrl: string;
}

/** One sign-in under way: what the callback checks the provider's answer against. */
export interface LoginFlow {
  state: string;
  nonce: string;
  verifier: string;
  /** The local path to go back to. */
  returnTo: string;
}

/** The provider cannot be reached (discovery, the token exchange or userinfo failed on the network). */
export class ProviderUnreachable extends Error {}

/** Seconds a discovery or token request may take before the provider counts as unreachable. */
const TIMEOUT_SECONDS = 5;

/**
 * The relying party, over `openid-client` (no discovery, token exchange or ID token check is
 * written here): the authorization URL with PKCE S256, `state` and `nonce`; the code exchange
 * with every check of the ID token (signature, `iss`, `aud`, `exp`, `nonce`); userinfo for the
 * claims the ID token leaves out; the RP-initiated logout URL. Discovery runs again at every
 * sign-in, so a provider down at start is a warning, not a crash, and one down now is said so.
 */
export class OidcClient {
  private config?: oidc.Configuration;
  private checkedAt = 0;
  private pending?: Promise<oidc.Configuration> | undefined;
  /** Whether the last attempt to reach the provider failed (the sign-in page says so). */
  unreachable = false;

  constructor(readonly settings: OidcSettings) {}

  get redirectUri(): string {
    return `${this.settings.publicUrl}/auth/callback`;
  }

  /**
   * The provider's discovered configuration, discovered again when older than `maxAgeMs` (a
   * sign-in asks afresh: one GET, and a provider that is down is said so at once, not after a
   * redirect to nowhere). A failure throws ProviderUnreachable; the last good configuration is
   * kept for callbacks under way.
   */
  async discover(maxAgeMs = Infinity): Promise<oidc.Configuration> {
    if (this.config && Date.now() - this.checkedAt < maxAgeMs) return this.config;
    const s = this.settings;
    const insecure = new URL(s.issuer).protocol === 'http:'; // loopback only (config-vars.ts)
    this.pending ??= oidc
      .discovery(new URL(s.issuer), s.clientId, s.clientSecret ? { client_secret: s.clientSecret } : undefined, s.clientSecret ? oidc.ClientSecretBasic(s.clientSecret) : oidc.None(), {
        timeout: TIMEOUT_SECONDS,
        // The ID token's signature is checked against the provider's JWKS too, not only trusted for
        // arriving over TLS from the token endpoint: a proxy or a bug in between cannot mint a sign-in.
        execute: [oidc.enableNonRepudiationChecks, ...(insecure ? [oidc.allowInsecureRequests] : [])],
      })
      .then(
        (c) => {
          this.config = c;
          this.checkedAt = Date.now();
          this.unreachable = false;
          return c;
        },
        (err: unknown) => {
          this.unreachable = true;
          throw new ProviderUnreachable(`the identity provider ${s.issuer} could not be reached: ${(err as Error).message}`, { cause: err });
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** The configuration a callback finishes with: the one its sign-in started with, else discovered now. */
  private current(): Promise<oidc.Configuration> {
    return this.config ? Promise.resolve(this.config) : this.discover();
  }

  /** Starts a sign-in: the provider's authorization URL and the flow the callback needs. */
  async start(returnTo: string): Promise<{ url: URL; flow: LoginFlow }> {
    const config = await this.discover(0);
    const flow: LoginFlow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), returnTo };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url, flow };
  }

  /**
   * Finishes a sign-in: exchanges the code (openid-client checks state, PKCE, and the ID token's
   * signature, iss, aud, exp and nonce) and returns the ID token's claims, completed from
   * userinfo when `complete` says they lack something.
   */
  async finish(search: string, flow: LoginFlow, complete: (claims: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const config = await this.current();
    const current = new URL(this.redirectUri);
    current.search = search;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the provider answered without an ID token');
    const claims: Record<string, unknown> = { ...idClaims };
    if (!complete(claims) && tokens.access_token) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      for (const [k, v] of Object.entries(info)) if (!(k in claims)) claims[k] = v;
    }
    return claims;
  }

  /** The provider's RP-initiated logout URL, when it offers one (discovered `end_session_endpoint`). */
  endSessionUrl(): string | null {
    if (!this.config?.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(this.config, { client_id: this.settings.clientId, post_logout_redirect_uri: `${this.settings.publicUrl}/` }).href;
  }
}

/** A sealed login flow in a cookie (AES-256-GCM, 10 minutes): any replica can open it, nobody can read or forge it. */
export class FlowSealer {
  private readonly key: Buffer;

  constructor(secret: Uint8Array, private readonly now: () => number = Date.now) {
    this.key = Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'switchyard oidc login flow', 32));
  }

  seal(flow: LoginFlow, ttlMs = 10 * 60_000): string {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(JSON.stringify({ ...flow, exp: this.now() + ttlMs })), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
  }

  /** The flow, or undefined when the cookie is missing, tampered with or older than 10 minutes. */
  open(sealed: string | undefined): LoginFlow | undefined {
    if (!sealed || sealed.length > 4096) return undefined;
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const d = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      const v = JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as LoginFlow & { exp: number };
      if (!(v.exp > this.now())) return undefined;
      return { state: v.state, nonce: v.nonce, verifier: v.verifier, returnTo: v.returnTo };
    } catch {
      return undefined;
    }
  }
}
