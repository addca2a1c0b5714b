import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, publicKeyFromText, publicKeyView, type CheckpointKey } from './checkpoint-key.js';
import { checkpointMessage, signCheckpoint, signatureProblem } from './checkpoint-sign.js';

function newKey(): CheckpointKey {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return { publicKey, privateKey, keyId: keyIdOf(publicKey) };
}

const head = { seq: 42, head: 'a'.repeat(64), at: '2026-12-01T09:00:00.000Z' };

describe('checkpoint signatures', () => {
  it('a signed checkpoint verifies with the public key alone, published as PEM or as JWK', () => {
    const key = newKey();
    const cp = signCheckpoint(key, head);
    const view = publicKeyView(key);
    for (const text of [view.pem, JSON.stringify(view.jwk), JSON.stringify({ publicKey: view })]) {
      const pub = publicKeyFromText(text);
      expect(pub.privateKey).toBeUndefined();
      expect(pub.keyId).toBe(key.keyId);
      expect(signatureProblem(cp, [pub])).toBeNull();
    }
    expect(checkpointMessage(head).toString()).toBe('["switchyard.audit-checkpoint.v1",42,"' + 'a'.repeat(64) + '","2026-12-01T09:00:00.000Z"]');
  });

  it('an altered sequence, head or time, or a signature by another key, does not verify', () => {
    const key = newKey();
    const cp = signCheckpoint(key, head);
    expect(signatureProblem({ ...cp, head: 'b'.repeat(64) }, [key])).toContain('does not verify');
    expect(signatureProblem({ ...cp, seq: 43 }, [key])).toContain('does not verify');
    expect(signatureProblem({ ...cp, at: '2026-12-02T09:00:00.000Z' }, [key])).toContain('does not verify');
    expect(signatureProblem({ ...cp, signature: 'not-base64!' }, [key])).toContain('does not verify');
    const other = newKey();
    expect(signatureProblem(signCheckpoint(other, head), [key])).toContain('not one of the public keys');
    expect(signatureProblem({ ...signCheckpoint(other, head), keyId: key.keyId }, [key])).toContain('does not verify');
  });

  it('refuses a key that is not Ed25519', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(() => publicKeyFromText(rsa)).toThrow(/Ed25519/);
  });
});
