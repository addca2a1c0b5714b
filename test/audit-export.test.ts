/**
 * Issue 20 finding 9, the export half: a large audit export streams in pages (keyset on seq, each
 * page about 256 KB, the event loop free between pages, written with backpressure), so a kill is
 * answered while it runs and a reader that goes away ends it. Runs on SQLite and PostgreSQL.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const PROMPT = 'Answer as a careful support agent; cite the order number. '.repeat(270); // ~15.7 KB

let ts: TestServer;
let total = 0;
beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'big-prompt', { on: `${PROMPT} v0`, off: 'v0' });
  // 120 edits of a ~16 KB value: each entry holds it twice (before and after), ~7.5 MB in all.
  for (let v = 1; v <= 120; v++) {
    const r = await ts.api('PATCH', '/api/flags/big-prompt', { as: 'engineer', body: { version: v, on: `${PROMPT} v${v}` } });
    if (r.status !== 200) throw new Error(r.text);
  }
  await createFlag(ts, 'checkout');
  total = (await ts.api('GET', '/api/audit/verify', { as: 'viewer' })).body.count;
});
afterAll(() => ts?.close());

/** A raw GET whose body is not read until `resume()`; `done` resolves with the whole body. */
async function pausedGet(path: string, token: string) {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${ts.url}${path}`, { headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject);
  });
  res.pause();
  let ended = false;
  const chunks: Buffer[] = [];
  const done = new Promise<string>((resolve, reject) => {
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    res.on('error', reject);
  });
  return { res, done, ended: () => ended };
}

describe('the audit export streams', () => {
  it('an export of many pages of big entries holds every entry once, oldest first, in JSON lines and in CSV', async () => {
    const jsonl = await ts.api('GET', '/api/audit/export', { as: 'viewer' });
    expect(jsonl.status).toBe(200);
    const entries = jsonl.text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; after: { on?: string } | null });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(entries.find((e) => e.seq === total - 1)!.after!.on).toBe(`${PROMPT} v120`);
    const csv = await ts.api('GET', '/api/audit/export?format=csv&flag=big-prompt', { as: 'viewer' });
    const rows = csv.text.trim().split('\n');
    expect(rows).toHaveLength(1 + 121);
    expect(rows.slice(1).map((r) => Number(JSON.parse(r.split(',')[0]!)))).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
  });

  it('a kill is answered while an export is held open by a reader that stopped reading, and the export then completes', async () => {
    const exp = await pausedGet('/api/audit/export?format=csv', await ts.token('viewer'));
    const kill = await ts.api('POST', '/api/flags/checkout/kill', { as: 'oncall', body: { reason: 'cost spike during an export' } });
    expect(kill.status).toBe(200);
    expect(kill.body.killed).toBe(true);
    expect(exp.ended()).toBe(false);
    exp.res.resume();
    const text = await exp.done;
    // The export started before the kill: it holds every entry up to it, each once.
    const seqs = text.trim().split('\n').slice(1).map((r) => Number(JSON.parse(r.split(',')[0]!)));
    expect(seqs.slice(0, total)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await ts.api('POST', '/api/flags/checkout/restore', { as: 'oncall', body: { reason: 'over' } });
  });

  it('a reader that goes away mid-export ends it, and the server answers the next export in full', async () => {
    const exp = await pausedGet('/api/audit/export', await ts.token('viewer'));
    const closed = new Promise((resolve) => exp.res.socket.once('close', resolve));
    exp.res.destroy();
    await closed;
    const again = await ts.api('GET', '/api/audit/export?flag=big-prompt', { as: 'viewer' });
    expect(again.text.trim().split('\n')).toHaveLength(121);
  });
});
