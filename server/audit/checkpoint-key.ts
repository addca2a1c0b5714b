import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

/** The Ed25519 key checkpoints are signed with; `privateKey` only where the server runs. */
export interface CheckpointKey {
  publicKey: KeyObject;
  privateKey?: KeyObject;
  /** First 16 hex digits of SHA-256 over the public key (SPKI DER): names the key in each checkpoint. */
  keyId: string;
}

/** The public half as `GET /api/audit/checkpoints` publishes it. */
export interface CheckpointPublicKey {
  keyId: string;
  alg: 'Ed25519';
  jwk: crypto.JsonWebKey;
  pem: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function fromPublic(publicKey: KeyObject, privateKey?: KeyObject): CheckpointKey {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new ConfigError(`the audit checkpoint key must be Ed25519, not ${publicKey.asymmetricKeyType}`);
  return { publicKey, privateKey, keyId: keyIdOf(publicKey) };
}

/**
 * Reads the private key file (PKCS#8 PEM), creating it 0600 on first start. The key lives in
 * its own file, never in the database: someone who can rewrite the database but cannot read
 * this file cannot sign a checkpoint for a rewritten chain. `warning` says when the file is
 * readable by others.
 */
export function loadOrCreateCheckpointKey(file: string): { key: CheckpointKey; created: boolean; warning?: string } {
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const pem = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    try {
      fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`CHECKPOINT_KEY_FILE ${file} is not a PEM private key: ${(err as Error).message}`);
  }
  const key = fromPublic(crypto.createPublicKey(privateKey), privateKey);
  const mode = fs.statSync(file).mode & 0o777;
  const warning = mode & 0o077 ? `the audit checkpoint key ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it` : undefined;
  return { key, created, warning };
}

/** A public key from text: PEM (SPKI, or a private key's PEM) or a JWK, as published by the API. */
export function publicKeyFromText(text: string): CheckpointKey {
  const t = text.trim();
  if (t.startsWith('{')) {
    const parsed = JSON.parse(t) as { jwk?: crypto.JsonWebKey; publicKey?: { jwk?: crypto.JsonWebKey } } & crypto.JsonWebKey;
    const jwk = parsed.publicKey?.jwk ?? parsed.jwk ?? parsed;
    return fromPublic(crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }));
  }
  return fromPublic(crypto.createPublicKey(t));
}

export function publicKeyView(key: CheckpointKey): CheckpointPublicKey {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return {
    keyId: key.keyId,
    alg: 'Ed25519',
    jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: key.keyId, alg: 'EdDSA', use: 'sig' },
    pem: key.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}
