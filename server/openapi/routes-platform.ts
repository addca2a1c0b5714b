import { exportQuery, listQuery, verifyQuery } from '../audit/audit-routes.js';
import { checkpointsQuery } from '../audit/checkpoint-routes.js';
import { createSchema as createKeySchema, revokeSchema } from '../auth/sdk-key-routes.js';
import { revokeTokenSchema } from '../auth/token-routes.js';
import type { RouteDoc } from './route-doc.js';

/** The audit trail, SDK keys, the SDK snapshot, health, Prometheus, and this document. */
export const platformRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/api/audit', tag: 'audit', summary: 'Audit entries, newest first, filtered and paged', access: { permission: 'read' },
    query: listQuery, returns: '`{entries: AuditEntry[], next: string | null}`',
  },
  {
    method: 'get', path: '/api/audit/verify', tag: 'audit', summary: 'Verify the hash chain (against a head kept elsewhere with ?expectHead=)',
    access: { permission: 'read' }, query: verifyQuery, returns: '`{ok, count, head, firstBad?, ...}`',
  },
  {
    method: 'get', path: '/api/audit/export', tag: 'audit', summary: 'Export the audit trail as JSON lines or CSV', access: { permission: 'read' },
    query: exportQuery, produces: 'application/x-ndjson', returns: 'one AuditEntry per line (or CSV with ?format=csv)',
  },
  {
    method: 'get', path: '/api/audit/checkpoints', tag: 'audit', summary: 'Signed audit checkpoints, newest first, and the Ed25519 public key that verifies them',
    description: 'Each checkpoint signs `["switchyard.audit-checkpoint.v1", seq, head, at]` (UTF-8 JSON). Keep copies off the server; `switchyard verify-audit --checkpoints FILE --public-key FILE` checks a database copy against them.',
    access: { permission: 'read' }, query: checkpointsQuery, returns: '`{publicKey: {keyId, alg, jwk, pem}, checkpoints: [{seq, head, at, keyId, signature}], next: string | null}`',
  },
  {
    method: 'get', path: '/api/audit/checkpoints/verify', tag: 'audit', summary: "Verify the chain and every stored checkpoint against it with the server's own key",
    description: 'Catches a chain re-hashed after an edit, as long as the stored checkpoints and the key file were left alone; copies kept elsewhere are checked offline by `switchyard verify-audit --checkpoints`.',
    access: { permission: 'read' }, returns: '`{ok, count, head, checkpoints: {checked, latest, unvouched}, checkpoint?, problem?}`',
  },
  {
    method: 'get', path: '/api/sdk-keys', tag: 'sdk keys', summary: 'List SDK keys (never the secret)', access: { permission: 'manageKeys' },
    returns: '`{keys: [...]}`',
  },
  {
    method: 'post', path: '/api/sdk-keys', tag: 'sdk keys', summary: 'Issue an SDK key (the secret is shown once)', access: { permission: 'manageKeys' },
    body: createKeySchema, status: 201, returns: '`{id, name, key, prefix, createdAt}`',
    example: { body: { name: 'support-web' } },
  },
  {
    method: 'post', path: '/api/sdk-keys/:id/revoke', tag: 'sdk keys', summary: 'Revoke an SDK key; its live sockets close with 4401',
    access: { permission: 'manageKeys' }, body: revokeSchema, returns: 'the key, revoked',
    example: { params: { id: 'key_from_the_create_answer' }, body: { reason: 'leaked in a public repo' } },
  },
  {
    method: 'post', path: '/api/tokens/revoke', tag: 'tokens', summary: 'Revoke user tokens: one by jti, or every token of a subject issued before a time',
    description: 'Audited (`token.revoke`). A revoked token gets 401 `token_revoked` on its next request, and its open admin streams close with 4401 `token_revoked`. `before` defaults to now.',
    access: { permission: 'manageKeys' }, body: revokeTokenSchema, returns: '`{id, jti, sub, before, revokedAt, revokedBy}`',
    example: { body: { sub: 'contractor@acme', reason: 'laptop lost; every token issued so far is void' } },
  },
  {
    method: 'get', path: '/sdk/flags', tag: 'sdk', summary: 'The flag state snapshot for SDKs (ETag / 304)', access: { sdkKey: true },
    returns: '`{version, flags: FlagState[]}`',
  },
  { method: 'get', path: '/healthz', tag: 'operations', summary: 'The process is up', access: { public: true }, returns: '`{ok: true}`' },
  { method: 'get', path: '/readyz', tag: 'operations', summary: 'Ready: the database takes writes and this server holds its DATA_DIR lock (503 + Retry-After when not)', access: { public: true }, returns: '`{ok: true}`' },
  {
    method: 'get', path: '/metrics', tag: 'operations', summary: 'Prometheus metrics', access: { scrape: true },
    description: 'Takes METRICS_TOKEN as a bearer token, or a reader-role user token; or serve it unauthenticated on a private METRICS_LISTEN address instead.',
    produces: 'text/plain', returns: 'the Prometheus text format',
  },
  {
    method: 'get', path: '/api/openapi.json', tag: 'operations', summary: 'This document (public: it documents, it reveals nothing)',
    access: { public: true }, returns: 'the OpenAPI 3.1 document',
  },
];
