/**
 * Who is signed in: a session of the identity provider (an HttpOnly cookie the UI never sees;
 * `GET /api/session` says who it is, and its CSRF token goes with every change), or a pasted
 * token (break-glass). The token lives in sessionStorage only (never in the URL after load); its
 * payload is decoded, not verified: the server verifies every request, the UI only uses the role
 * to show what is allowed. The role table is the server's own (sdk/src/api.ts).
 */
import { CAN, isRole, type Permission, type Role } from '@switchyard-flags/sdk/api';

export { CAN, ROLES, type Permission, type Role } from '@switchyard-flags/sdk/api';

const KEY = 'switchyard.token';

const WHAT: Record<Permission, string> = {
  read: 'read flags',
  editFlags: 'create or edit flags',
  kill: 'kill or restore flags',
  plan: 'edit rollout plans',
  signoff: 'sign off stages',
  advance: 'advance rollouts',
  rollback: 'roll back',
  pause: 'pause or resume rollouts',
  reportMetrics: 'report metrics',
  manageKeys: 'manage SDK keys',
  unarchive: 'unarchive flags',
  environments: 'manage environments',
  advanceInEnvironment: 'advance rollouts in an environment',
};

export interface Session {
  /** The pasted token; null for a session of the identity provider (its cookie is HttpOnly). */
  token: string | null;
  /** The name shown: the token's subject, or the IdP user's email (else name). */
  sub: string;
  role: Role;
  /** Expiry, epoch ms, if the token has one. */
  exp: number | null;
  via?: 'token' | 'oidc';
  /** The session's CSRF token, sent as X-CSRF-Token with every change (sessions only). */
  csrfToken?: string | null;
}

/** The identity provider's session, as `GET /api/session` answered it (one sign-in serves every tab). */
let cookieSession: Session | null = null;
/** Whether the last sign-out ended a session of the identity provider (the sign-in page words its notice for it). */
let endedSession = false;

export function lastWasSession(): boolean {
  return endedSession;
}

/** The identity provider the sign-in page offers (`GET /api/auth/providers`). */
export interface Provider {
  name: string;
  loginUrl: string;
  reachable: boolean;
}

async function getJson<T>(path: string): Promise<T | null> {
  try {
    const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

/** The identity provider to sign in with, or null when none is configured (or the server is unreachable). */
export async function signInProvider(): Promise<Provider | null> {
  return (await getJson<{ oidc: Provider | null }>('/api/auth/providers'))?.oidc ?? null;
}

/** The session cookie's session, if this browser has a live one (never redirects: no loop when it has ended). */
export async function resumeSession(): Promise<Session | null> {
  const me = await getJson<{ sub: string; name: string | null; email: string | null; role: string; via: string; expiresAt: string | null; csrfToken: string | null }>('/api/session');
  if (!me || me.via !== 'oidc' || !isRole(me.role)) return null;
  cookieSession = { token: null, sub: me.email ?? me.name ?? me.sub, role: me.role, exp: me.expiresAt ? Date.parse(me.expiresAt) : null, via: 'oidc', csrfToken: me.csrfToken };
  return cookieSession;
}

/** Where "Sign in with …" goes: the server's /auth/login, coming back to this page. */
export function loginHref(p: Provider): string {
  return `${p.loginUrl}?return=${encodeURIComponent(location.pathname + location.hash)}`;
}

/** What a request made with the session cookie adds: the CSRF token on every change. */
export function sessionHeaders(method: string): Record<string, string> {
  const s = currentSession();
  return s?.via === 'oidc' && s.csrfToken && !['GET', 'HEAD'].includes(method.toUpperCase()) ? { 'x-csrf-token': s.csrfToken } : {};
}

function b64urlDecode(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=');
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** Decodes a JWT's payload; null when it is not a JWT with a subject and a known role. */
export function decodeToken(token: string): Session | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const p = JSON.parse(b64urlDecode(parts[1])) as { sub?: unknown; role?: unknown; exp?: unknown };
    if (typeof p.sub !== 'string' || !isRole(p.role)) return null;
    return { token: token.trim(), sub: p.sub, role: p.role, exp: typeof p.exp === 'number' ? p.exp * 1000 : null, via: 'token' };
  } catch {
    return null;
  }
}

export function isExpired(s: Session, now = Date.now()): boolean {
  return s.exp !== null && s.exp <= now;
}

/** Takes a `#token=...` from the address (the first-start link), stores it and removes it from the URL. */
export function adoptTokenFromHash(): void {
  const m = /(?:^#|[#&])token=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return;
  const token = decodeURIComponent(m[1]);
  if (decodeToken(token)) sessionStorage.setItem(KEY, token);
  history.replaceState(null, '', location.pathname + location.search + '#/flags');
}

export function currentSession(): Session | null {
  const t = sessionStorage.getItem(KEY);
  return t ? decodeToken(t) : cookieSession;
}

export function signIn(token: string): Session | null {
  const s = decodeToken(token);
  if (s?.token) sessionStorage.setItem(KEY, s.token);
  return s;
}

/**
 * Forgets the token; ends the identity provider's session (POST /auth/logout), then goes to the
 * provider's own sign-out when the server names one (only when a live session was ended).
 */
export function signOut(): void {
  const hadToken = sessionStorage.getItem(KEY) !== null;
  sessionStorage.removeItem(KEY);
  const s = cookieSession;
  cookieSession = null;
  // A second sign-out (another request's 401 arriving after the first) keeps what the first said:
  // it reset this to false, and the sign-in page then blamed a token for an ended session.
  if (s !== null) endedSession = true;
  else if (hadToken) endedSession = false;
  if (!s) return;
  void fetch('/auth/logout', { method: 'POST', headers: { accept: 'application/json', ...(s.csrfToken ? { 'x-csrf-token': s.csrfToken } : {}) }, credentials: 'same-origin' })
    .then((r) => (r.ok ? (r.json() as Promise<{ endSessionUrl: string | null }>) : null))
    .then((b) => {
      if (b?.endSessionUrl) location.assign(b.endSessionUrl);
    })
    .catch(() => undefined);
}

export function can(s: Session | null, p: Permission): boolean {
  return !!s && (CAN[p] as readonly Role[]).includes(s.role);
}

function list(roles: readonly string[]): string {
  return roles.length === 1 ? roles[0]! : `${roles.slice(0, -1).join(', ')} or ${roles[roles.length - 1]}`;
}

/** Why the signed-in role cannot do something, or '' when it can. */
export function whyNot(s: Session | null, p: Permission): string {
  if (can(s, p)) return '';
  const role = s?.role ?? 'signed-out';
  return `Your role (${role}) cannot ${WHAT[p]}; it needs ${list(CAN[p])}.`;
}
