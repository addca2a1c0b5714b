import fs from 'node:fs';
import { ROLES, isRole, type Role } from './roles.js';

/**
 * Which role a set of identity-provider claims gets: the values of one claim (OIDC_ROLE_CLAIM,
 * a dotted path such as `realm_access.roles`) looked up in a map (OIDC_ROLE_MAP); the highest
 * role any value maps to wins, else OIDC_DEFAULT_ROLE, else no role (the sign-in is refused).
 * Pure: the sign-in, `POST /api/auth/role-mapping/test` and the admin page use this one function.
 */
export interface RoleMapping {
  claim: string;
  /** Claim value (a group's name or its id: a key matches either) → role. */
  map: Readonly<Record<string, Role>>;
  defaultRole?: Role;
}

export interface RoleDecision {
  /** null: no rule maps these claims and there is no default role. */
  role: Role | null;
  /** The map key that granted the role, or "(default role)" when OIDC_DEFAULT_ROLE did; null when refused. */
  matched: string | null;
  /** The claim the role was read from. */
  claim: string;
  /** Every value of that claim, as seen (at most 50). */
  seen: string[];
}

/** The most values of the role claim looked at (an IdP user in thousands of groups is bounded too). */
export const MAX_CLAIM_VALUES = 1000;

/** The value at a dotted path of `claims`: `realm_access.roles` reads `claims.realm_access.roles`. A key with a dot in it is found whole first. */
export function claimAt(claims: unknown, path: string): unknown {
  if (claims === null || typeof claims !== 'object') return undefined;
  const obj = claims as Record<string, unknown>;
  if (Object.hasOwn(obj, path)) return obj[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  const head = path.slice(0, dot);
  return Object.hasOwn(obj, head) ? claimAt(obj[head], path.slice(dot + 1)) : undefined;
}

/** A claim's values as strings: a string, a number, an array of them, or objects with `id`/`name`/`value`/`displayName` (each counts). */
export function claimValues(value: unknown): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (out.length >= MAX_CLAIM_VALUES) return;
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' && Number.isFinite(v)) out.push(String(v));
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const k of ['id', 'name', 'value', 'displayName']) {
        const f = (v as Record<string, unknown>)[k];
        if (typeof f === 'string') out.push(f);
      }
    }
  };
  if (Array.isArray(value)) for (const v of value) add(v);
  else if (typeof value === 'string') for (const v of value.split(/[\s,]+/).filter(Boolean)) add(v);
  else add(value);
  return out;
}

const rank = (r: Role) => ROLES.indexOf(r);

export function decideRole(mapping: RoleMapping, claims: unknown): RoleDecision {
  const values = claimValues(claimAt(claims, mapping.claim));
  let best: { role: Role; key: string } | undefined;
  for (const v of values) {
    if (!Object.hasOwn(mapping.map, v)) continue;
    const role = mapping.map[v]!;
    if (!best || rank(role) < rank(best.role)) best = { role, key: v };
  }
  const seen = values.slice(0, 50);
  if (best) return { role: best.role, matched: best.key, claim: mapping.claim, seen };
  if (mapping.defaultRole) return { role: mapping.defaultRole, matched: '(default role)', claim: mapping.claim, seen };
  return { role: null, matched: null, claim: mapping.claim, seen };
}

/**
 * OIDC_ROLE_MAP: a JSON object of claim value → role, or `@/path/to/file.json` holding one.
 * Throws an Error whose message is one whole line naming the variable.
 */
export function parseRoleMap(text: string): Record<string, Role> {
  let json = text.trim();
  if (json.startsWith('@')) {
    const file = json.slice(1);
    try {
      json = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`OIDC_ROLE_MAP names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('OIDC_ROLE_MAP must be a JSON object such as {"sy-admins":"admin","product":"pm"} (or @file holding one)');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('OIDC_ROLE_MAP must be a JSON object of claim value → role');
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > 10_000) throw new Error(`OIDC_ROLE_MAP has ${entries.length} entries; at most 10000`);
  const map: Record<string, Role> = Object.create(null);
  for (const [k, r] of entries) {
    if (k.length === 0 || k.length > 500) throw new Error('OIDC_ROLE_MAP keys are 1 to 500 characters');
    if (!isRole(r)) throw new Error(`OIDC_ROLE_MAP maps "${k}" to ${JSON.stringify(r)}, not a role: use one of ${ROLES.join(', ')}`);
    map[k] = r;
  }
  return map;
}
