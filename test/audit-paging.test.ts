import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

// Audit pages bounded in bytes as well as rows (issue 11): a page of big entries stops at about
// 1 MiB of JSON and hands back a cursor, so no request makes the server build a 16 MB answer.
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'wordy');
  for (let v = 1; v <= 300; v++) {
    const r = await ts.api('PATCH', '/api/flags/wordy', { as: 'engineer', body: { version: v, description: `${v} `.padEnd(2000, 'x') } });
    if (r.status !== 200) throw new Error(r.text);
  }
});
afterAll(async () => {
  await ts.close();
});

describe('audit pages', () => {
  it('a page of big entries stops at about 1 MiB of JSON and its cursor leads to the rest, with no entry lost or repeated', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: any = await ts.api('GET', `/api/audit?flag=wordy&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { as: 'viewer' });
      expect(r.status).toBe(200);
      expect(r.text.length).toBeLessThanOrEqual(1024 * 1024 + 16 * 1024);
      expect(r.body.entries.length).toBeGreaterThan(0);
      seen.push(...r.body.entries.map((e: any) => e.seq));
      cursor = r.body.next;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(seen).toHaveLength(301);
    expect(new Set(seen).size).toBe(301);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('a huge limit is refused with a 400 that says the most a page holds', async () => {
    const r = await ts.api('GET', '/api/audit?limit=10000', { as: 'viewer' });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ path: 'limit' });
    expect(r.body.error.details[0].message).toContain('500');
  });
});
