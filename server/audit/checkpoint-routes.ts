import { z } from 'zod';
import { routeFor } from '../http/route.js';
import type { AuditCheckpoints } from './audit-checkpoints.js';
import { pageShape } from './audit-routes.js';

export const checkpointsQuery = z.strictObject(pageShape);

const route = routeFor<{ checkpoints?: AuditCheckpoints }>('audit');
const present = (d: { checkpoints?: AuditCheckpoints }) => d.checkpoints !== undefined;

/** `GET /api/audit/checkpoints`: the signed checkpoints, newest first, and the public key that verifies them (mounted when the server signs checkpoints). */
export const checkpointRoutes = [
  route({
    method: 'get', path: '/api/audit/checkpoints', summary: 'Signed audit checkpoints, newest first, and the Ed25519 public key that verifies them',
    description: 'The first checkpoint signs `["switchyard.audit-checkpoint.v1", seq, head, at]` (UTF-8 JSON); each later one names the one before it, `prev` = SHA-256 hex of that one\'s signed message, "\\n" and its signature, and signs `["switchyard.audit-checkpoint.v2", seq, head, at, prev]`. Keep copies off the server; `switchyard verify-audit --checkpoints FILE --public-key FILE` checks a database copy against them.',
    access: { permission: 'read' }, query: checkpointsQuery, when: present,
    returns: '`{publicKey: {keyId, alg, jwk, pem}, checkpoints: [{seq, head, at, keyId, signature, prev?}], next: string | null}`',
    handler: async ({ query: q }, { checkpoints }) => {
      const page = await checkpoints!.list(q.cursor, q.limit);
      return { publicKey: checkpoints!.publicKey, checkpoints: page.checkpoints, next: page.next === null ? null : String(page.next) };
    },
  }),
  route({
    method: 'get', path: '/api/audit/checkpoints/verify', summary: "Verify the chain and every stored checkpoint against it with the server's own key",
    description: 'Catches a chain re-hashed after an edit, as long as the stored checkpoints and the key file were left alone; copies kept elsewhere are checked offline by `switchyard verify-audit --checkpoints`.',
    access: { permission: 'read' }, when: present, returns: '`{ok, count, head, checkpoints: {checked, latest, unvouched}, checkpoint?, problem?}`',
    handler: (_input, { checkpoints }) => checkpoints!.verify(),
  }),
];
