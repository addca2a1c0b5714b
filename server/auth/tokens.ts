import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { SignJWT, jwtVerify, createRemoteJWKSet, errors as joseErrors, type JWTPayload } from 'jose';
import { ConfigError } from '../errors.js';
import { Unauthorized } from '../errors.js';
import { isRole, type Role } from './roles.js';

export const ISSUER = 'switchyard';
export const AUDIENCE = 'switchyard';

/** The shortest signing secret accepted: 32 bytes, as the HS256 key length (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

/**
 * Reads the HS256 signing secret from `file` (SECRET_FILE, default `DATA_DIR/secret`), creating
 * it (32 random bytes, mode 0600) when missing. A secret shorter than 32 bytes, not base64url,
 * or readable by group or others is refused with a ConfigError that says how to fix it.
 * Replicas that share one file (SECRET_FILE) sign and accept the same tokens; two of them
 * creating it at once agree on the one written first.
 */
export function loadSecretFile(file: string): { secret: Uint8Array; created: boolean } {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const secret = crypto.randomBytes(MIN_SECRET_BYTES);
    try {
      fs.writeFileSync(file, secret.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretFile(file); // another replica wrote it first
      throw e;
    }
    return { secret, created: true };
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new ConfigError(`the signing secret ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`);
  }
  const secret = /^[A-Za-z0-9_-]*={0,2}$/.test(text) ? Buffer.from(text, 'base64url') : Buffer.alloc(0);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `the signing secret ${file} holds ${secret.length} bytes; at least ${MIN_SECRET_BYTES} random bytes, base64url-encoded, are required. ` +
        `Write a new one (openssl rand -base64 32 | tr '+/' '-_' | tr -d '=' > ${file}; chmod 600 ${file}) or delete the file to have one made; ` +
        'every token signed with the old secret stops working either way',
    );
  }
  return { secret, created: false };
}

/** The secret in `DATA_DIR/secret` (the default SECRET_FILE): `loadSecretFile(path.join(dataDir, 'secret'))`. */
export function loadOrCreateSecret(dataDir: string): { secret: Uint8Array; created: boolean } {
  return loadSecretFile(path.join(dataDir, 'secret'));
}

/** Parses "8h", "30m", "7d", "3600s" or a number of seconds, at most `maxSeconds` (the server's MAX_TOKEN_TTL). */
export function parseTtl(ttl: string, maxSeconds = 366 * 86400): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(ttl.trim());
  if (!m) throw new Error(`invalid ttl "${ttl}": use e.g. 30m, 8h, 7d`);
  const n = Number(m[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = n * unit;
  if (seconds <= 0 || seconds > maxSeconds) throw new Error(`ttl must be between 1s and ${formatSeconds(maxSeconds)} (the server's maximum token lifetime)`);
  return seconds;
}

/** The flags a scoped token may report metrics for (the `flags` claim): at most 100 flag keys. */
export const MAX_SCOPED_FLAGS = 100;
const FLAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** The environments a scoped metrics token may report for (the `envs` claim, issue 23): at most 32 environment keys. */
export const MAX_SCOPED_ENVS = 32;
export const ENV_KEY = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Control characters (a newline, NUL, ESC) and bidirectional overrides or isolates in a token's
 * subject would land verbatim in the audit trail, in logs and in the UI, where they forge lines
 * or reverse what a reader sees (`eve\u202Enimda` reads as "eveadmin"): such a subject is
 * refused when a token is minted and when one is presented.
 */
const UNSAFE_SUBJECT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Why `sub` cannot be a token subject, or undefined when it can. */
export function subjectProblem(sub: string): string | undefined {
  if (sub.length === 0 || sub.length > 200) return 'a token subject is 1 to 200 characters';
  if (UNSAFE_SUBJECT.test(sub)) return 'a token subject may not contain control characters (newline, NUL, ESC) or bidirectional-text controls';
  return undefined;
}

export async function issueToken(secret: Uint8Array, sub: string, role: Role, ttlSeconds = 8 * 3600, scope: { flags?: string[]; envs?: string[] } = {}): Promise<string> {
  const problem = subjectProblem(sub);
  if (problem) throw new Error(problem);
  return new SignJWT({ role, ...(scope.flags ? { flags: scope.flags } : {}), ...(scope.envs ? { envs: scope.envs } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(secret);
}

/** "30d", "8h", "90m" or "45s": the largest whole unit. */
export function formatSeconds(s: number): string {
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** How far a token's `iat` may be in the future (clock skew between issuer and server). */
export const CLOCK_SKEW_SECONDS = 60;

export interface TokenVerifierOptions {
  secret: Uint8Array;
  /** An external identity provider's JWKS; its tokens must carry iss/aud as configured. */
  jwksUrl?: string;
  jwksIssuer?: string;
  jwksAudience?: string;
  roleClaim?: string;
  /** Longest lifetime (exp - iat) accepted; default 30 days. */
  maxTtlSeconds?: number;
  /** Longest lifetime for the `metrics` role (a scraper's or reporter's long-lived token). */
  metricsMaxTtlSeconds?: number;
  /** Epoch milliseconds now (tests hand in a fixed clock). */
  now?: () => number;
  /** A monotonic reading in milliseconds (default `performance.now`): a wall-clock step back does not move it. */
  monotonic?: () => number;
}

export type VerifiedUser = { sub: string; role: Role; jti?: string; iat?: number; exp?: number; flags?: string[]; envs?: string[] };

/**
 * Verifies a user JWT: the algorithm is pinned (HS256 for our own tokens; RS256/ES256 for
 * a JWKS), and exp, iss, aud and sub are required. Anything else is a 401.
 */
export function createTokenVerifier(opts: TokenVerifierOptions): (token: string) => Promise<VerifiedUser> {
  const jwks = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : undefined;
  const roleClaim = opts.roleClaim ?? 'role';
  const wall = opts.now ?? Date.now;
  const mono = opts.monotonic ?? (() => performance.now());
  const wall0 = wall();
  const mono0 = mono();
  // "Now" for `iat` is the later of the wall clock and the wall clock at start plus the monotonic
  // time since: after the host clock steps back (NTP, a VM resume), tokens minted just before the
  // step are not "issued in the future" (they were, by this very process's own clock, in the past).
  const nowMs = () => Math.max(wall(), wall0 + (mono() - mono0));
  return async (token) => {
    let payload: JWTPayload;
    let claim = 'role';
    try {
      const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown };
      if (header.alg === 'HS256') {
        ({ payload } = await jwtVerify(token, opts.secret, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['exp', 'sub', 'iss', 'aud'],
        }));
      } else if (jwks) {
        ({ payload } = await jwtVerify(token, jwks, {
          algorithms: ['RS256', 'ES256', 'EdDSA'],
          issuer: opts.jwksIssuer,
          audience: opts.jwksAudience ?? AUDIENCE,
          requiredClaims: ['exp', 'sub', 'iss', 'aud'],
        }));
        claim = roleClaim;
      } else {
        throw new Unauthorized(`token algorithm ${JSON.stringify(header.alg)} is not accepted`, 'invalid_token');
      }
    } catch (err) {
      if (err instanceof Unauthorized) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new Unauthorized('token has expired', 'token_expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new Unauthorized(`token rejected: ${err.message}`, 'invalid_token');
      throw new Unauthorized('token is malformed or its signature is invalid', 'invalid_token');
    }
    const role = payload[claim];
    if (!isRole(role)) throw new Unauthorized(`token has no valid "${claim}" claim`, 'invalid_token');
    if (!payload.sub) throw new Unauthorized('token has no subject', 'invalid_token');
    const problem = subjectProblem(payload.sub);
    if (problem) throw new Unauthorized(`token rejected: ${problem}`, 'invalid_token');
    const nowS = Math.floor(nowMs() / 1000);
    if (payload.iat !== undefined && payload.iat > nowS + CLOCK_SKEW_SECONDS) {
      throw new Unauthorized(`token was issued in the future (iat ${payload.iat}, now ${nowS}); check the issuer's clock`, 'invalid_token');
    }
    const max = role === 'metrics' ? (opts.metricsMaxTtlSeconds ?? opts.maxTtlSeconds ?? 30 * 86400) : (opts.maxTtlSeconds ?? 30 * 86400);
    const lifetime = payload.exp! - (payload.iat ?? nowS);
    if (lifetime > max + CLOCK_SKEW_SECONDS) {
      throw new Unauthorized(`token lifetime (${formatSeconds(lifetime)}) is longer than this server accepts for role "${role}" (${formatSeconds(max)}); issue a shorter one`, 'invalid_token');
    }
    const flags = payload.flags;
    if (flags !== undefined && !(Array.isArray(flags) && flags.length >= 1 && flags.length <= MAX_SCOPED_FLAGS && flags.every((f) => typeof f === 'string' && FLAG_KEY.test(f)))) {
      throw new Unauthorized(`token has an invalid "flags" claim: 1 to ${MAX_SCOPED_FLAGS} flag keys`, 'invalid_token');
    }
    const envs = payload.envs;
    if (envs !== undefined && !(Array.isArray(envs) && envs.length >= 1 && envs.length <= MAX_SCOPED_ENVS && envs.every((e) => typeof e === 'string' && ENV_KEY.test(e)))) {
      throw new Unauthorized(`token has an invalid "envs" claim: 1 to ${MAX_SCOPED_ENVS} environment keys`, 'invalid_token');
    }
    return { sub: payload.sub, role, jti: payload.jti, iat: payload.iat, exp: payload.exp, ...(flags ? { flags: flags as string[] } : {}), ...(envs ? { envs: envs as string[] } : {}) };
  };
}
