import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from './tokens.js';

const secret = new Uint8Array(32).fill(7);
const mint = (iat: number) =>
  new SignJWT({ role: 'oncall' }).setProtectedHeader({ alg: 'HS256' }).setSubject('on-call').setIssuer('switchyard').setAudience('switchyard').setIssuedAt(iat).setExpirationTime(iat + 3600).sign(secret);

describe('token iat after a wall-clock step', () => {
  it('a token minted just before the host clock stepped back 10 minutes still works (the verifier also reads a monotonic clock)', async () => {
    let wall = Math.floor(Date.now() / 1000) * 1000;
    let mono = 1_000;
    const verify = createTokenVerifier({ secret, now: () => wall, monotonic: () => mono });
    const token = await mint(wall / 1000);
    await expect(verify(token)).resolves.toMatchObject({ sub: 'on-call' });
    wall -= 600_000; // NTP steps the clock back 10 minutes
    mono += 2_000;
    await expect(verify(token)).resolves.toMatchObject({ sub: 'on-call' });
  });

  it('a token issued in the future beyond the 60 s skew is still refused', async () => {
    const wall = Math.floor(Date.now() / 1000) * 1000;
    const verify = createTokenVerifier({ secret, now: () => wall, monotonic: () => 0 });
    await expect(verify(await mint(wall / 1000 + 30))).resolves.toBeDefined();
    await expect(verify(await mint(wall / 1000 + 120))).rejects.toThrow(/issued in the future/);
  });
});
