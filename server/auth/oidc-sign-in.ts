import type { Logger } from '../log.js';
import { FlowSealer, OidcClient, ProviderUnreachable, type LoginFlow, type OidcSettings } from './oidc-client.js';
import { claimAt, decideRole, type RoleDecision, type RoleMapping } from './oidc-roles.js';
import { SessionAuth } from './session-auth.js';
import type { SessionService, SessionView } from './session-service.js';

/** How a sign-in ended, for the callback to answer: a session, or a page saying why not. */
export type SignInResult =
  | { ok: true; cookie: string; session: SessionView; returnTo: string }
  | { ok: false; status: number; title: string; message: string; seen?: { claim: string; values: string[] } };

/** The longest `?return=` kept; anything else than a local path goes to `/`. */
const MAX_RETURN = 2000;

/** `?return=` as a local path (`/flags/x?tab=y`), else `/`: never another host (`//evil`, `/\evil`, `https:`). */
export function localPath(v: unknown): string {
  if (typeof v !== 'string' || v.length > MAX_RETURN || !v.startsWith('/') || v.startsWith('//') || v.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f]/.test(v)) return '/';
  return v;
}

/** Whether an error means the provider could not be reached (as opposed to a refused or forged answer). */
export function isUnreachable(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof ProviderUnreachable) return true;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || (e instanceof TypeError && /fetch failed/.test(e.message))) return true;
    if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test((e as NodeJS.ErrnoException).code ?? '')) return true;
  }
  return false;
}

/**
 * Sign-in with the identity provider, end to end: where the login goes, what the callback
 * checks, which role the claims get, the session it opens. Only built when OIDC_ISSUER is set.
 */
export class OidcSignIn {
  readonly client: OidcClient;
  readonly sealer: FlowSealer;
  readonly auth: SessionAuth;
  /** Whether cookies get `Secure` (PUBLIC_URL is https). */
  readonly secure: boolean;

  constructor(
    settings: OidcSettings,
    readonly mapping: RoleMapping,
    readonly sessions: SessionService,
    secret: Uint8Array,
    private readonly log: Logger,
  ) {
    this.client = new OidcClient(settings);
    this.sealer = new FlowSealer(secret);
    this.auth = new SessionAuth(sessions, settings.publicUrl);
    this.secure = new URL(settings.publicUrl).protocol === 'https:';
  }

  /** The name the sign-in button shows: the issuer's host (`login.acme.com`). */
  get name(): string {
    return new URL(this.client.settings.issuer).host;
  }

  /** Starts a sign-in: the provider's URL and the flow to seal in a cookie. */
  start(returnTo: string): ReturnType<OidcClient['start']> {
    return this.client.start(returnTo);
  }

  /** The claims have what sign-in needs without asking userinfo: the role claim, and a name or email. */
  private complete = (claims: Record<string, unknown>) => claimAt(claims, this.mapping.claim) !== undefined && (claims.email !== undefined || claims.name !== undefined);

  async finish(search: string, flow: LoginFlow | undefined, requestId: string): Promise<SignInResult> {
    if (!flow) {
      return { ok: false, status: 400, title: 'Sign-in expired', message: 'This sign-in was not started here or took longer than 10 minutes. Start again.' };
    }
    const params = new URLSearchParams(search);
    const providerError = params.get('error');
    if (providerError) {
      return { ok: false, status: 400, title: 'Sign-in refused by the identity provider', message: `${providerError}: ${(params.get('error_description') ?? '').slice(0, 300)}` };
    }
    let claims: Record<string, unknown>;
    try {
      claims = await this.client.finish(search, flow, this.complete);
    } catch (err) {
      if (isUnreachable(err)) {
        this.log.warn({ err }, 'oidc: the identity provider could not be reached at sign-in');
        return { ok: false, status: 503, title: 'The identity provider is unreachable', message: 'Sign-in cannot finish while it is down.' };
      }
      // A forged, replayed or mismatched answer: nobody the provider vouched for, so logged, not audited.
      this.log.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'oidc: a sign-in was refused');
      return { ok: false, status: 400, title: 'Sign-in refused', message: `The identity provider's answer did not pass its checks (${(err as Error).message}). Start again.` };
    }
    // An email the provider says is unverified names nobody: changes are then recorded under the name.
    const who = { sub: str(claims.sub) ?? '(no subject)', name: str(claims.name), email: claims.email_verified === false ? null : str(claims.email) };
    const decision = decideRole(this.mapping, claims);
    if (decision.role === null) {
      await this.sessions.refused(who, `no role is mapped for the values of claim "${decision.claim}"`, { claim: decision.claim, seen: decision.seen }, requestId);
      return {
        ok: false,
        status: 403,
        title: 'No role for you yet',
        message: `You signed in as ${who.email ?? who.name ?? who.sub}, but no rule of OIDC_ROLE_MAP maps the values of your "${decision.claim}" claim to a role. Ask an admin to add one.`,
        seen: { claim: decision.claim, values: decision.seen },
      };
    }
    const { cookie, session } = await this.sessions.open({ ...who, role: decision.role, claims: pick(claims, this.mapping.claim), claim: decision.claim, matched: decision.matched! }, requestId);
    return { ok: true, cookie, session, returnTo: flow.returnTo };
  }

  /** What `POST /api/auth/role-mapping/test` answers. */
  test(claims: unknown): RoleDecision {
    return decideRole(this.mapping, claims);
  }
}

/** Control and bidi characters would forge lines or reverse text in the audit trail and the UI (as in a token's subject). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

function str(v: unknown): string | null {
  const s = typeof v === 'string' ? v.replace(UNSAFE, '').slice(0, 200) : '';
  return s.length > 0 ? s : null;
}

/** The claims kept with a session: who, and the role claim (not every claim the provider sent). */
function pick(claims: Record<string, unknown>, roleClaim: string): Record<string, unknown> {
  const top = roleClaim.split('.')[0]!;
  const out: Record<string, unknown> = {};
  for (const k of ['sub', 'iss', 'name', 'email', 'preferred_username', top]) if (claims[k] !== undefined) out[k] = claims[k];
  return out;
}
