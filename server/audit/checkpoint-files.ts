import fs from 'node:fs';
import { z } from 'zod';
import { loadOrCreateCheckpointKey, publicKeyFromText, type CheckpointKey } from './checkpoint-key.js';
import type { AuditCheckpoint } from './checkpoint-sign.js';

/** A public key or checkpoints file given to `switchyard verify-audit` that cannot be used. */
export class CheckpointInputError extends Error {}

/** The public keys to trust: the ones given, else the server's own key file if it is here. */
export function checkpointPublicKeys(files: string[], keyFile: string): CheckpointKey[] {
  if (files.length > 0) {
    return files.map((f) => {
      try {
        return publicKeyFromText(fs.readFileSync(f, 'utf8'));
      } catch (err) {
        throw new CheckpointInputError(`--public-key ${f}: not a PEM or JWK Ed25519 public key (${(err as Error).message})`);
      }
    });
  }
  if (!fs.existsSync(keyFile)) return [];
  const { key } = loadOrCreateCheckpointKey(keyFile);
  return [{ publicKey: key.publicKey, keyId: key.keyId }];
}

/** Checkpoints saved elsewhere: a GET /api/audit/checkpoints answer, a JSON array, or JSON lines. */
export function readCheckpointFile(file: string): AuditCheckpoint[] {
  if (!fs.existsSync(file)) throw new CheckpointInputError(`no such checkpoints file: ${file}`);
  const text = fs.readFileSync(file, 'utf8').trim();
  let items: unknown[];
  try {
    const parsed = JSON.parse(text) as unknown;
    items = Array.isArray(parsed) ? parsed : ((parsed as { checkpoints?: unknown[] }).checkpoints ?? [parsed]);
  } catch {
    try {
      items = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
    } catch (err) {
      throw new CheckpointInputError(`--checkpoints ${file}: not JSON or JSON lines (${(err as Error).message})`);
    }
  }
  const parsed = z.array(checkpointShape).safeParse(items);
  if (!parsed.success) throw new CheckpointInputError(`--checkpoints ${file}: not a list of checkpoints {seq, head, at, keyId, signature}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const checkpointShape = z.object({
  seq: z.number().int().min(1),
  head: z.string(),
  at: z.string(),
  keyId: z.string(),
  signature: z.string(),
  prev: z.string().optional(),
});

