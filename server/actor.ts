import type { Role, SdkKeyKind } from '@switchyard-flags/sdk/api';

/** Who is acting: a user (from a JWT), an SDK key, or the server itself (guardrails, schedules). */
export type Principal =
  | { kind: 'user'; sub: string; role: Role; jti?: string; iat?: number; exp?: number; flags?: string[]; envs?: string[]; session?: SessionInfo }
  | { kind: 'sdk'; keyId: string; name: string; keyKind: SdkKeyKind; secureSecret?: string; environment: string }
  | { kind: 'system'; sub: string };

/**
 * A user signed in through the identity provider (server/auth/session-auth.ts): `sub` of the
 * principal is then the name changes are recorded under (email, else name); this is the rest.
 */
export interface SessionInfo {
  id: string;
  /** The IdP's subject. */
  sub: string;
  name: string | null;
  email: string | null;
  /** Epoch ms: the session's absolute end. */
  expiresAt: number;
  csrfToken: string;
}

/** What a service needs to know about the caller: recorded in the audit entry. */
export interface Actor {
  sub: string;
  role: Role | 'system';
  requestId: string | null;
  /** The caller's own X-Request-Id, kept beside the server's id. */
  clientRequestId?: string | null;
  /** A token minted for some flags only (its `flags` claim): metric samples for these flags only. */
  flags?: string[];
  /** A token minted for some environments only (its `envs` claim): metric samples for these environments only. */
  envs?: string[];
}
