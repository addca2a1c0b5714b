/**
 * Issue 20 finding 9: unpaged reads slow the kill. `GET /api/flags` answered every flag with every
 * value (13.3 MB for 406 flags with 16 KB values). Now it answers `{flags, next}` in pages
 * (`?limit=N&cursor=C`, 100 by default, about 1 MB at most), and leaves long values out of the
 * list unless `?values=full`. Runs on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

type Item = { key: string; on?: unknown; off?: unknown; omittedValues?: { on?: number; off?: number } };
type Page = { flags: Item[]; next: string | null };

const LONG = 'You are a careful support agent. '.repeat(480); // 15,840 characters: a long prompt

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  // 130 small flags (two tags alternating), created in a scrambled order.
  for (let i = 0; i < 130; i++) {
    const n = (i * 37) % 130;
    await createFlag(ts, `f-${String(n).padStart(3, '0')}`, { tags: [n % 2 ? 'odd' : 'even'], owner: n % 5 ? 'ai@acme' : 'pay@acme' });
  }
});
afterAll(() => ts?.close());

async function page(query: string): Promise<Page> {
  const res = await ts.api('GET', `/api/flags${query}`, { as: 'viewer' });
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return res.body as Page;
}

/** Every page from `query` (after `start`, when given), following `next`. */
async function walk(query: string, start: string | null = null): Promise<Page[]> {
  const pages: Page[] = [];
  let next: string | null = start;
  do {
    const sep = query.includes('?') ? '&' : '?';
    const p = await page(next === null ? query : `${query}${sep}cursor=${encodeURIComponent(next)}`);
    pages.push(p);
    next = p.next;
  } while (next !== null && pages.length < 100);
  return pages;
}

describe('GET /api/flags in pages', () => {
  it('a plain GET /api/flags answers the first 100 flags in key order and the cursor of the rest', async () => {
    const first = await page('');
    expect(first.flags).toHaveLength(100);
    expect(first.flags.map((f) => f.key)).toEqual(Array.from({ length: 100 }, (_, i) => `f-${String(i).padStart(3, '0')}`));
    expect(first.next).toBe('f-099');
    const rest = await page(`?cursor=${first.next}`);
    expect(rest.flags.map((f) => f.key)).toEqual(Array.from({ length: 30 }, (_, i) => `f-${String(100 + i).padStart(3, '0')}`));
    expect(rest.next).toBeNull();
  });

  it('walking pages of 7 returns every flag exactly once, in key order, and the last page names no next', async () => {
    const pages = await walk('?limit=7');
    expect(pages).toHaveLength(Math.ceil(130 / 7));
    const keys = pages.flatMap((p) => p.flags.map((f) => f.key));
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(130);
    expect(pages.at(-1)!.next).toBeNull();
    expect(pages.slice(0, -1).every((p) => p.flags.length === 7)).toBe(true);
  });

  it('the tag and owner filters page too: each page holds only matching flags and the walk finds them all', async () => {
    const odd = (await walk('?tag=odd&limit=10')).flatMap((p) => p.flags);
    expect(odd).toHaveLength(65);
    expect(odd.every((f) => Number(f.key.slice(2)) % 2 === 1)).toBe(true);
    const pay = await walk('?owner=pay@acme&limit=4');
    expect(pay.flatMap((p) => p.flags.map((f) => f.key))).toEqual(Array.from({ length: 26 }, (_, i) => `f-${String(i * 5).padStart(3, '0')}`));
  });

  it('a flag created between two page reads shows up on a later page when its key sorts after the cursor', async () => {
    const first = await page('?limit=100');
    await createFlag(ts, 'f-zzz-late');
    const keys = (await walk('?limit=20', first.next)).flatMap((p) => p.flags.map((f) => f.key));
    expect(keys).toContain('f-zzz-late');
    expect(keys).not.toContain(first.next);
  });

  it('a long value is left out of the list, which names it and its size, unless ?values=full; the flag itself keeps it', async () => {
    await createFlag(ts, 'a-long-prompt', { on: LONG, off: 'v1' });
    const [item] = (await page('?limit=1')).flags;
    expect(item!.key).toBe('a-long-prompt');
    expect(item).not.toHaveProperty('on');
    expect(item!.off).toBe('v1');
    expect(item!.omittedValues).toEqual({ on: JSON.stringify(LONG).length });
    const [full] = (await page('?limit=1&values=full')).flags;
    expect(full!.on).toBe(LONG);
    expect(full).not.toHaveProperty('omittedValues');
    expect((await ts.api('GET', '/api/flags/a-long-prompt', { as: 'viewer' })).body.on).toBe(LONG);
    // Short values stay in the list as they are.
    const small = (await page('?limit=3')).flags.find((f) => f.key === 'f-000')!;
    expect(small).toMatchObject({ on: true, off: false });
    expect(small).not.toHaveProperty('omittedValues');
  });

  it('a page of full values ends near 1 MB with a cursor, however high the limit', async () => {
    for (let i = 0; i < 40; i++) await createFlag(ts, `big-${String(i).padStart(2, '0')}`, { on: `${LONG}on`, off: `${LONG}off` });
    const res = await ts.api('GET', '/api/flags?limit=500&values=full', { as: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.text.length).toBeLessThan(1.1 * 1024 * 1024);
    expect(res.body.next).not.toBeNull();
    const all = (await walk('?limit=500&values=full')).flatMap((p) => p.flags);
    expect(all.filter((f) => f.key.startsWith('big-'))).toHaveLength(40);
    expect(all.find((f) => f.key === 'big-39')!.off).toBe(`${LONG}off`);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['limit=1e2', 'limit'],
    ['cursor=', 'cursor'],
    ['cursor=not%20a%20key', 'cursor'],
    ['values=some', 'values'],
  ])('GET /api/flags?%s is a 400 naming %s', async (query, field) => {
    const res = await ts.api('GET', `/api/flags?${query}`, { as: 'viewer' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain(field);
  });
});
