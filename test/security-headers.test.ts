import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

function directives(csp: string | null): Map<string, string[]> {
  return new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k!, v]));
}

describe('security headers', () => {
  const hasUi = fs.existsSync(path.resolve('dist/admin-ui/index.html'));

  it.each(['/', '/api/flags', '/healthz', '/no-such-page'])('%s carries a strict Content-Security-Policy and the helmet headers', async (p) => {
    const res = await fetch(ts.url + p, { headers: { authorization: `Bearer ${await ts.token('viewer')}` } });
    if (p === '/' && !hasUi) return void expect(res.status).toBe(404);
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('script-src-attr')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'self'"]);
    // Served over plain HTTP on private networks too: the UI must not upgrade its own requests.
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
    for (const [k, v] of csp) if (k.startsWith('script') || k === 'default-src' || k === 'connect-src') expect(v.join(' '), k).not.toMatch(/unsafe-inline|unsafe-eval|\*|data:|http:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('the admin UI sources never hand user data to the HTML parser (Lit templates escape; nothing bypasses them)', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name)) files.push(p);
      }
    };
    walk(path.resolve('admin-ui/src'));
    expect(files.length).toBeGreaterThan(5);
    const banned = /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|unsafeHTML|unsafeSVG|unsafeStatic|\beval\(|new Function\(/;
    const offenders = files.filter((f) => banned.test(fs.readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
