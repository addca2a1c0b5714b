/**
 * Who is signed in. The token lives in sessionStorage only (never in the URL after load); its
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
};

export interface Session {
  token: string;
  sub: string;
  role: Role;
  /** Expiry, epoch ms, if the token has one. */
  exp: number | null;
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
    return { token: token.trim(), sub: p.sub, role: p.role, exp: typeof p.exp === 'number' ? p.exp * 1000 : null };
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
  return t ? decodeToken(t) : null;
}

export function signIn(token: string): Session | null {
  const s = decodeToken(token);
  if (s) sessionStorage.setItem(KEY, s.token);
  return s;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
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
