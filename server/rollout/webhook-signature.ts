/**
 * Every webhook delivery is signed, GitHub style: HMAC-SHA256 over `timestamp + "." + body` with
 * the server's webhook secret (its UTF-8 text is the key), sent as
 * `X-Switchyard-Signature-256: sha256=<hex>` beside `X-Switchyard-Timestamp: <unix seconds>`.
 * The README's verification snippet is the receiver's side of this.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const SIGNATURE_HEADER = 'x-switchyard-signature-256';
export const TIMESTAMP_HEADER = 'x-switchyard-timestamp';
/** The shortest WEBHOOK_SECRET accepted. */
export const MIN_WEBHOOK_SECRET = 32;

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The secret: `WEBHOOK_SECRET` when set, else `DATA_DIR/webhook-secret`, created (0600, 32 random
 * bytes as hex) on first start. Rotate it by replacing the file (or the variable) and restarting.
 */
export function loadOrCreateWebhookSecret(dataDir: string, fromEnv?: string): string {
  if (fromEnv !== undefined) return fromEnv;
  const file = path.join(dataDir, 'webhook-secret');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text.length < MIN_WEBHOOK_SECRET) throw new Error(`${file} holds fewer than ${MIN_WEBHOOK_SECRET} characters: replace it with a long random value (or delete it and restart to get a new one)`);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}
