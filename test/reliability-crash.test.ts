import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { figure, size } from './helpers/reliability-figures.js';
import { bootServer, spawnWorker, type ServerProc, type WorkerProc } from './helpers/reliability-proc.js';
import { CRASH_WRITER_WORKER } from './helpers/reliability-workers.js';
import { tempDataDir } from './helpers/server.js';

const ROUNDS = size(2, 5);
const WORKERS = 3;
const LOOPS = 2;
/** Acknowledged writes per round before the plug is pulled. */
const ACKED_BEFORE_KILL = size(250, 1500);

const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Answers that are changes: each must have exactly one audit entry (metrics have none: they are data). */
const isChange = (l: any) => typeof l.status === 'number' && l.status < 300 && l.op !== 'metric' && l.changed !== false;
const VERSIONLESS = new Set(['rollout.signoff', 'rollout.auto_advance_blocked']);

describe('kill -9 during a storm of writes from several processes', () => {
  it(`across ${ROUNDS} crashes: every acknowledged change is there with exactly one audit entry, nothing refused is, and the chain verifies`, async () => {
    let server: ServerProc = await bootServer(dataDir);
    const all: any[] = [];
    let w = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const tokens = {
          eng: await server.token('engineer', 'eng-crash'),
          oncall: await server.token('oncall', 'oncall-crash'),
          pmA: await server.token('pm', 'pm-author'),
          pmB: await server.token('pm', 'pm-signer'),
          metrics: await server.token('metrics', 'reporter'),
        };
        const workers: WorkerProc[] = [];
        for (let i = 0; i < WORKERS; i++) workers.push(spawnWorker(CRASH_WRITER_WORKER, { URL: server.url, W: String(++w), TOKENS: JSON.stringify(tokens), LOOPS: String(LOOPS) }));
        const acked = () => workers.reduce((n, wk) => n + wk.lines.filter((l) => typeof l.status === 'number' && l.status < 300).length, 0);
        while (acked() < ACKED_BEFORE_KILL && workers.some((wk) => wk.child.exitCode === null)) await new Promise((r) => setTimeout(r, 10));
        await server.stop('SIGKILL');
        await Promise.all(workers.map((wk) => wk.exited));
        for (const wk of workers) all.push(...wk.lines);
        server = await bootServer(dataDir);
      }

      // The server is back after the last crash: check everything every round acknowledged.
      const admin = await server.token('admin');
      const verify = await server.api('GET', '/api/audit/verify', admin);
      expect(verify.body).toMatchObject({ ok: true });
      const exported = await (await fetch(`${server.url}/api/audit/export?format=jsonl`, { headers: { authorization: `Bearer ${admin}` } })).text();
      const entries = exported.trim().split('\n').map((l) => JSON.parse(l));
      const byRid = new Map<string, any[]>();
      // Workers send X-Request-Id w<W>-<n>; the audit keeps it as clientRequestId (requestId is the server's own).
      for (const e of entries) if (e.clientRequestId) byRid.set(e.clientRequestId, [...(byRid.get(e.clientRequestId) ?? []), e]);
      const answers = new Map(all.map((l) => [l.rid, l]));

      let changes = 0;
      let refused = 0;
      let lost = 0;
      for (const l of all) {
        const got = byRid.get(l.rid)?.length ?? 0;
        if (l.status === 'lost') {
          lost++;
          expect(got, `${l.rid} ${l.op} (lost)`).toBeLessThanOrEqual(1);
        } else if (isChange(l)) {
          changes++;
          expect(got, `${l.rid} ${l.op} acknowledged ${l.status}`).toBe(1);
        } else {
          if (l.status >= 400) refused++;
          expect(got, `${l.rid} ${l.op} ${l.status} changed=${l.changed}`).toBe(0);
        }
      }
      // No entry without an answer that explains it.
      for (const [rid, es] of byRid) {
        const a = answers.get(rid);
        if (!a) continue; // the admin's own requests
        expect(a.status === 'lost' || isChange(a), `${rid}: ${es.length} entries for a ${a.status} ${a.op}`).toBe(true);
      }

      // Samples are data: each acknowledged one is stored, no refused one is.
      const db = new SQLite(path.join(dataDir, 'switchyard.db'), { readonly: true });
      try {
        const values = new Set((db.prepare("select value from metric_samples where metric = 'error_rate'").all() as Array<{ value: number }>).map((r) => r.value));
        let samples = 0;
        for (const l of all.filter((x) => x.op === 'metric')) {
          if (l.status === 201) {
            samples++;
            expect(values.has(l.value), `sample ${l.rid}`).toBe(true);
          } else if (l.status !== 'lost') expect(values.has(l.value), `refused sample ${l.rid}`).toBe(false);
        }
        // Every flag's version is its number of versioned audit entries, and its row is the last entry's "after".
        const flags = db.prepare("select key, version, killed, stage, description from flags where key like 'c%-%-%'").all() as Array<{ key: string; version: number; killed: number; stage: number; description: string }>;
        const perFlag = new Map<string, any[]>();
        for (const e of entries) if (e.flag && !VERSIONLESS.has(e.action)) perFlag.set(e.flag, [...(perFlag.get(e.flag) ?? []), e]);
        for (const f of flags) {
          const es = perFlag.get(f.key) ?? [];
          expect(es.length, `${f.key} version ${f.version}`).toBe(f.version);
          expect(es.at(-1).after, f.key).toMatchObject({ killed: f.killed === 1, stage: f.stage, description: f.description });
        }
        figure('crash: writes acknowledged and found after kill -9', {
          crashes: ROUNDS,
          writerProcesses: WORKERS * ROUNDS,
          acknowledgedChanges: changes,
          acknowledgedSamples: samples,
          refused,
          lostInFlight: lost,
          flags: flags.length,
          auditEntries: entries.length,
        });
      } finally {
        db.close();
      }
      expect(changes).toBeGreaterThan(ACKED_BEFORE_KILL / 2);
    } finally {
      await server.stop('SIGTERM');
    }
  }, 600_000);
});
