/** User roles, from most to least powerful. SDK keys are a separate credential. */
export const ROLES = ['admin', 'pm', 'engineer', 'oncall', 'viewer', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x);
}

/** Who is acting: a user (from a JWT), an SDK key, or the server itself (guardrails, schedules). */
export type Principal =
  | { kind: 'user'; sub: string; role: Role }
  | { kind: 'sdk'; keyId: string; name: string }
  | { kind: 'system'; sub: string };

/** What a service needs to know about the caller: recorded in the audit entry. */
export interface Actor {
  sub: string;
  role: Role | 'system';
  requestId: string | null;
}

/** Named permission sets, so routes say what they need rather than listing roles. */
export const CAN = {
  read: ['admin', 'pm', 'engineer', 'oncall', 'viewer'],
  editFlags: ['admin', 'engineer'],
  kill: ['admin', 'pm', 'engineer', 'oncall'],
  plan: ['admin', 'pm'],
  signoff: ['pm'],
  advance: ['admin', 'pm'],
  rollback: ['admin', 'pm', 'oncall'],
  pause: ['admin', 'pm', 'oncall'],
  reportMetrics: ['admin', 'engineer', 'metrics'],
  manageKeys: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof CAN;
