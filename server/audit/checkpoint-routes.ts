import { z } from 'zod';
import { routeFor } from '../http/route.js';
import type { AuditCheckpoints } from './audit-checkpoints.js';
import { pageShape, verifyShapes } from './audit-routes.js';
import type { AuditCheckpoint } from './checkpoint-sign.js';
import type { CheckpointVerifyResult } from './checkpoint-verify.js';

export const checkpointsQuery = z.strictObject(pageShape);

const checkpointWire = z.strictObject({ seq: z.number().int(), head: z.string(), at: z.string(), keyId: z.string(), signature: z.string(), prev: z.string().optional() }) satisfies z.ZodType<AuditCheckpoint>;

/** `GET /api/audit/checkpoints`: the public key (as a JWK and PEM), one page of checkpoints. */
export const checkpointPageSchema = z.strictObject({
  publicKey: z.strictObject({
    keyId: z.string(),
    alg: z.literal('Ed25519'),
    jwk: z.record(z.string(), z.unknown()).describe('The Ed25519 public key as a JWK (RFC 8037: kty OKP, crv Ed25519, x)'),
    pem: z.string(),
  }),
  checkpoints: z.array(checkpointWire),
  next: z.string().nullable(),
});

/** `CheckpointVerifyResult`: the chain's verification, and the checkpoints checked against it. */
const vouched = {
  checkpoints: z.strictObject({ checked: z.number().int(), latest: z.strictObject({ seq: z.number().int(), at: z.string() }).nullable(), unvouched: z.number().int() }),
  checkpoint: z.strictObject({ seq: z.number().int(), at: z.string() }).optional(),
};
export const checkpointVerifySchema = z.union([
  z.strictObject({ ...verifyShapes.ok, ...vouched }),
  z.strictObject({ ...verifyShapes.broken, ...vouched }),
]) satisfies z.ZodType<CheckpointVerifyResult>;

const route = routeFor<{ checkpoints?: AuditCheckpoints }>('audit');
const present = (d: { checkpoints?: AuditCheckpoints }) => d.checkpoints !== undefined;

/** `GET /api/audit/checkpoints`: the signed checkpoints, newest first, and the public key that verifies them (mounted when the server signs checkpoints). */
export const checkpointRoutes = [
  route({
    method: 'get', path: '/api/audit/checkpoints', summary: 'Signed audit checkpoints, newest first, and the Ed25519 public key that verifies them',
    description: 'The first checkpoint signs `["switchyard.audit-checkpoint.v1", seq, head, at]` (UTF-8 JSON); each later one names the one before it, `prev` = SHA-256 hex of that one\'s signed message, "\\n" and its signature, and signs `["switchyard.audit-checkpoint.v2", seq, head, at, prev]`. Keep copies off the server; `switchyard verify-audit --checkpoints FILE --public-key FILE` checks a database copy against them.',
    access: { permission: 'read' }, query: checkpointsQuery, response: checkpointPageSchema, when: present,
    handler: async ({ query: q }, { checkpoints }) => {
      const page = await checkpoints!.list(q.cursor, q.limit);
      return { publicKey: checkpoints!.publicKey, checkpoints: page.checkpoints, next: page.next === null ? null : String(page.next) };
    },
  }),
  route({
    method: 'get', path: '/api/audit/checkpoints/verify', summary: "Verify the chain and every stored checkpoint against it with the server's own key",
    description: 'Catches a chain re-hashed after an edit, as long as the stored checkpoints and the key file were left alone; copies kept elsewhere are checked offline by `switchyard verify-audit --checkpoints`.',
    access: { permission: 'read' }, response: checkpointVerifySchema, when: present,
    handler: (_input, { checkpoints }) => checkpoints!.verify(),
  }),
];
