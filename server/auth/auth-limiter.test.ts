import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter, TooManyAuthFailures } from './auth-limiter.js';
import { clientAddressResolver, parseTrustedProxies } from './client-address.js';

describe('AuthFailureLimiter', () => {
  it('refuses an address without a credential only after it passed the limit, and forgets it when the window ends', () => {
    let t = 0;
    const l = new AuthFailureLimiter(3, 60_000, () => t);
    for (let i = 0; i < 3; i++) l.fail('10.0.0.1', undefined);
    expect(() => l.refuseAnonymous('10.0.0.1')).toThrow(TooManyAuthFailures);
    expect(() => l.refuseAnonymous('10.0.0.2')).not.toThrow();
    t = 60_000;
    expect(() => l.refuseAnonymous('10.0.0.1')).not.toThrow();
  });

  it('keeps at most maxEntries windows however many addresses fail', () => {
    const l = new AuthFailureLimiter(3, 60_000, () => 0, 1000);
    for (let i = 0; i < 50_000; i++) l.fail(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `token-${i}`);
    expect(l.size).toBeLessThanOrEqual(1000);
  });

  it('a failure past the limit is reported as a 429 with Retry-After instead of the 401', () => {
    const l = new AuthFailureLimiter(2, 60_000, () => 0);
    l.fail('a', 'x');
    l.fail('a', 'y');
    expect(() => l.fail('a', 'z')).toThrow(/try again in 60s/);
  });
});

describe('clientAddressResolver', () => {
  const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as never;

  it('reads X-Forwarded-For from the right, skipping trusted proxies, only when the peer is trusted', () => {
    const of = clientAddressResolver(parseTrustedProxies(['10.0.0.0/8', '::1']));
    expect(of(req('::ffff:10.1.2.3', '198.51.100.7, 10.9.9.9'))).toBe('198.51.100.7');
    expect(of(req('::1', '6.6.6.6, 198.51.100.7'))).toBe('198.51.100.7');
    expect(of(req('203.0.113.1', '198.51.100.7'))).toBe('203.0.113.1');
    expect(of(req('10.0.0.1'))).toBe('10.0.0.1');
  });

  it('refuses a TRUST_PROXY entry that is not an address or CIDR', () => {
    expect(() => parseTrustedProxies(['proxy.internal'])).toThrow(/TRUST_PROXY/);
  });
});
