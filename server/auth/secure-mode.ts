import crypto from 'node:crypto';
import type { Principal } from '../actor.js';
import { SecureModeRefused } from '../errors.js';

/** The context attribute that carries secure mode's signature (never seen by targeting). */
export const SECURE_HASH_ATTRIBUTE = 'secureHash';

/** What the app's backend computes for the signed-in user: HMAC-SHA256 of the `targetingKey` under the key's secret, hex. */
export function secureHash(secret: string, targetingKey: string): string {
  return crypto.createHmac('sha256', secret).update(targetingKey).digest('hex');
}

/**
 * Secure mode (a client key created with `secureMode: true`, as LaunchDarkly's): a context is
 * answered only when its `secureHash` is the HMAC of its `targetingKey` under the key's secret,
 * which only the app's backend holds, so a key copied out of a browser app evaluates no context
 * but the ones the backend signed (its own user's): no allowlist probing, no other users'
 * answers. Unsigned: 401; a signature for another key or a forged one: 403. Returns the context
 * without the signature; any other principal's context passes unchanged (its signature dropped).
 */
export function verifiedContext(p: Principal | undefined, context: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (context === undefined || !(SECURE_HASH_ATTRIBUTE in context)) {
    if (p?.kind === 'sdk' && p.secureSecret) refuseUnsigned();
    return context;
  }
  const { [SECURE_HASH_ATTRIBUTE]: sent, ...rest } = context;
  if (p?.kind !== 'sdk' || !p.secureSecret) return rest;
  const key = rest.targetingKey;
  if (typeof key !== 'string' && typeof key !== 'number') refuseUnsigned();
  const want = Buffer.from(secureHash(p.secureSecret, String(key)));
  const got = Buffer.from(typeof sent === 'string' ? sent.toLowerCase() : '');
  if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) {
    throw new SecureModeRefused(403, 'secure_hash_mismatch', 'the context\'s secureHash does not match its targetingKey: this SDK key is in secure mode, and only the app\'s backend (which holds the key\'s secure-mode secret) can sign a targetingKey');
  }
  return rest;
}

function refuseUnsigned(): never {
  throw new SecureModeRefused(401, 'secure_hash_missing', 'this SDK key is in secure mode: send the context\'s targetingKey and, as the context attribute secureHash, its HMAC-SHA256 (hex) under the key\'s secure-mode secret, computed by the app\'s backend');
}
