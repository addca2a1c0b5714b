import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { bulkEvaluationSuccess, refetchEvent } from './helpers/ofrep-schemas.js';

/** Reads server-sent events off a real HTTP response, one `data:` payload at a time. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<{ id?: string; event?: string; data: any } | 'ended'> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
          if (fields.data !== undefined) return { id: fields.id, event: fields.event, data: JSON.parse(fields.data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return 'ended';
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('OFREP event streams (ADR-0008): refetchEvaluation on every change', () => {
  let ts: TestServer;
  let key: { id: string; key: string };

  beforeAll(async () => {
    ts = await startTestServer();
    await createFlag(ts, 'checkout-v2', { on: true, off: false });
    const created = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } });
    key = { id: created.body.id, key: created.body.key };
  });
  afterAll(() => ts.close());

  const bulk = (headers: Record<string, string> = {}) => ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: 'u' } }, headers: { 'x-api-key': key.key, ...headers } });

  it('advertises an SSE stream in the bulk answer, whose URL carries no SDK key', async () => {
    const res = await bulk();
    expect(bulkEvaluationSuccess.safeParse(res.body).error?.issues).toBeUndefined();
    expect(res.body.eventStreams).toEqual([{ type: 'sse', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/ofrep\/v1\/events\?token=/), inactivityDelaySec: 120 }]);
    expect(res.body.eventStreams[0].url).not.toContain(key.key);
  });

  it('sends refetchEvaluation on connect and when a flag is killed, with the new state version as etag; the re-fetch then differs', async () => {
    const first = await bulk();
    const res = await fetch(first.body.eventStreams[0].url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sse(res);
    const hello = await events.next();
    expect(hello).toMatchObject({ event: 'message', data: { type: 'refetchEvaluation' } });
    if (hello === 'ended') throw new Error('ended');
    expect(refetchEvent.safeParse(hello.data).error?.issues).toBeUndefined();

    const kill = await ts.api('POST', '/api/flags/checkout-v2/kill', { as: 'oncall', body: { reason: 'checkout errors' } });
    expect(kill.status).toBe(200);
    const notice = await events.next();
    if (notice === 'ended') throw new Error('ended');
    expect(notice.data.type).toBe('refetchEvaluation');
    expect(Number(JSON.parse(notice.data.etag))).toBeGreaterThan(Number(JSON.parse(hello.data.etag)));
    expect(notice.id).toBe(JSON.parse(notice.data.etag));

    const again = await bulk({ 'if-none-match': first.headers.get('etag')! });
    expect(again.status).toBe(200);
    expect(again.body.flags[0]).toMatchObject({ key: 'checkout-v2', value: false, reason: 'DISABLED' });
    await events.cancel();
  });

  it('refuses a forged token with 401 and no body, and ends the stream of a key when it is revoked', async () => {
    const url = (await bulk()).body.eventStreams[0].url as string;
    const forged = await fetch(url.replace(/token=([^.]+)\./, 'token=$1x.'));
    expect(forged.status).toBe(401);
    expect(await forged.text()).toBe('');
    const res = await fetch(url);
    const events = sse(res);
    expect(await events.next()).not.toBe('ended');
    const revoked = await ts.api('POST', `/api/sdk-keys/${key.id}/revoke`, { as: 'admin', body: { reason: 'rotated' } });
    expect(revoked.status).toBe(200);
    expect(await events.next()).toBe('ended');
    expect((await fetch(url)).status).toBe(401);
  });
});

describe('OFREP event streams per SDK key', () => {
  it('holds at most MAX_CONNECTIONS_PER_KEY streams per key: the next one is served and the oldest of that key is ended', async () => {
    const ts = await startTestServer({ config: { maxConnectionsPerKey: 2 } });
    try {
      const key = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } })).body.key;
      const url = (await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: {}, headers: { 'x-api-key': key } })).body.eventStreams[0].url;
      const a = sse(await fetch(url));
      expect(await a.next()).not.toBe('ended');
      const b = sse(await fetch(url));
      expect(await b.next()).not.toBe('ended');
      const third = await fetch(url);
      expect(third.status).toBe(200);
      const c = sse(third);
      expect(await c.next()).not.toBe('ended');
      expect(await a.next().catch(() => 'ended')).toBe('ended'); // ended, or its connection cut
      expect(ts.running.services.ofrep.events.size).toBe(2);
      await b.cancel();
      await c.cancel();
    } finally {
      await ts.close();
    }
  });
});

describe('OFREP event-stream tokens are keyed from the signing secret', () => {
  it('a stream URL handed out before a restart still opens afterwards (as on another replica sharing SECRET_FILE), and a forged token is refused', async () => {
    let ts = await startTestServer();
    try {
      await createFlag(ts, 'checkout-v2', { on: true, off: false });
      const created = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } });
      const first = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: 'u' } }, headers: { 'x-api-key': created.body.key } });
      const path = new URL(first.body.eventStreams[0].url).pathname + new URL(first.body.eventStreams[0].url).search;
      ts = await ts.restart();
      const res = await fetch(ts.url + path);
      expect(res.status).toBe(200);
      const events = sse(res);
      expect(await events.next()).toMatchObject({ event: 'message', data: { type: 'refetchEvaluation' } });
      await events.cancel();
      const forged = await fetch(ts.url + path.replace(/\.[^.]+$/, '.' + 'A'.repeat(43)));
      expect(forged.status).toBe(401);
    } finally {
      await ts.close();
    }
  });
});
