import { describe, expect, it } from 'vitest';
import { internalRange, parseAllowlist, resolveDestination, staticRefusal, WebhookRefused, type LookupFn } from './webhook-destination.js';

describe('internalRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
  ])('%s is internal (%s)', (ip, range) => {
    expect(internalRange(ip)).toBe(range);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:93.184.215.14'])('%s is a public address', (ip) => {
    expect(internalRange(ip)).toBeNull();
  });
});

describe('parseAllowlist', () => {
  it('reads hosts and host:port pairs, IPv6 in brackets', () => {
    expect(parseAllowlist(' hooks.internal , 127.0.0.1:9000,[::1]:8080,[fd00::5], ::1')).toEqual([
      { host: 'hooks.internal' },
      { host: '127.0.0.1', port: 9000 },
      { host: '::1', port: 8080 },
      { host: 'fd00::5' },
      { host: '::1' },
    ]);
    expect(parseAllowlist(undefined)).toEqual([]);
  });

  it('refuses an entry that is not a host or host:port', () => {
    expect(() => parseAllowlist('http://x.example')).toThrow(/WEBHOOK_ALLOW entry/);
    expect(() => parseAllowlist('a.example:99999')).toThrow(/WEBHOOK_ALLOW entry/);
  });
});

describe('staticRefusal', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://[::ffff:127.0.0.1]:8080/hook',
    'http://[::1]/hook',
    'http://localhost:3000/x',
    'http://api.localhost/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.7/x',
    'http://0.0.0.0/x',
    'http://2130706433/x', // 127.0.0.1 as one number: URL normalises it
  ])('refuses %s without an allowlist', (url) => {
    expect(staticRefusal(url, [])).toMatch(/loopback|private|linkLocal|unspecified/);
  });

  it('lets an allowlisted host (and only at its port when one is given) through, and names through to delivery', () => {
    expect(staticRefusal('http://127.0.0.1:9000/h', parseAllowlist('127.0.0.1:9000'))).toBeNull();
    expect(staticRefusal('http://127.0.0.1:9001/h', parseAllowlist('127.0.0.1:9000'))).toMatch(/loopback/);
    expect(staticRefusal('http://localhost/h', parseAllowlist('localhost'))).toBeNull();
    expect(staticRefusal('https://hooks.example/T000/B000/SECRET', [])).toBeNull();
  });
});

describe('resolveDestination', () => {
  const resolvesTo = (...addresses: string[]): LookupFn => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses a name when any of its addresses is internal', async () => {
    const url = new URL('https://hooks.example/x');
    await expect(resolveDestination(url, [], resolvesTo('93.184.215.14', '10.0.0.1'))).rejects.toThrow(WebhookRefused);
    await expect(resolveDestination(url, [], resolvesTo('::ffff:169.254.169.254'))).rejects.toThrow(/linkLocal/);
    await expect(resolveDestination(url, [], resolvesTo())).rejects.toThrow(/no address/);
  });

  it('returns the checked address to connect to', async () => {
    const url = new URL('https://hooks.example/x');
    expect(await resolveDestination(url, [], resolvesTo('93.184.215.14', '2606:4700::1111'))).toEqual({ address: '93.184.215.14', family: 4 });
  });

  it('refuses localhost names without asking DNS, and lets allowlisted hosts resolve anywhere', async () => {
    const never: LookupFn = async () => {
      throw new Error('DNS asked');
    };
    await expect(resolveDestination(new URL('http://localhost:1/x'), [], never)).rejects.toThrow(/loopback/);
    expect(await resolveDestination(new URL('http://hooks.internal/x'), parseAllowlist('hooks.internal'), resolvesTo('10.1.1.1'))).toEqual({ address: '10.1.1.1', family: 4 });
  });
});
