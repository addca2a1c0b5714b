import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/helpers/test-db.js';
import { AuditRecorder } from '../audit/audit-recorder.js';
import type { Actor } from '../actor.js';
import { LocalChangeBus } from '../changes.js';
import { FlagService } from '../flags/flag-service.js';
import { SampleService } from './sample-service.js';
import type { JudgedSample, SampleListener } from './sample-types.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const reporter: Actor = { sub: 'svc:reporter', role: 'metrics', requestId: 'req-1' };
const admin: Actor = { sub: 'user:ana', role: 'admin', requestId: null };

let opened: Awaited<ReturnType<typeof openTestDatabase>> | undefined;
afterEach(async () => opened?.close());

async function setup(listener?: SampleListener) {
  opened = await openTestDatabase();
  const deps = { db: opened.db, storage: opened, audit: new AuditRecorder(() => NOW, opened), bus: new LocalChangeBus(), clock: () => NOW };
  await new FlagService(deps).create(admin, { key: 'checkout', description: '', owner: 'team', tags: [], on: true, off: false });
  return new SampleService(deps, undefined, listener);
}

describe('the samples port: the samples domain tells a listener, it knows no plans', () => {
  it('a stored batch reaches the listener once, with the request id, after it is stored', async () => {
    const heard: Array<{ samples: JudgedSample[]; requestId: string | null; stored: number }> = [];
    const samples = await setup(async (_env, fresh, requestId) => {
      const stored = await opened!.db.selectFrom('metric_samples').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      heard.push({ samples: fresh, requestId, stored: Number(stored.n) });
      return [];
    });
    await samples.ingest(reporter, [{ flag: 'checkout', metric: 'error_rate', value: 0.5, cohort: 'treatment' }], false);
    expect(heard).toEqual([
      {
        samples: [{ flag: 'checkout', metric: 'error_rate', value: 0.5, cohort: 'treatment', at: NOW.toISOString(), measuredAt: NOW.toISOString() }],
        requestId: 'req-1',
        stored: 1,
      },
    ]);
  });

  it('what the listener did comes back as the batch’s trips', async () => {
    const samples = await setup(async (_env, fresh) => [{ flag: fresh[0]!.flag, metric: fresh[0]!.metric, effect: 'pause', detail: 'too high', sample: fresh[0]! }]);
    const r = await samples.ingest(reporter, [{ flag: 'checkout', metric: 'error_rate', value: 0.9, cohort: 'treatment' }], false);
    expect(r.tripped.map((t) => [t.flag, t.effect, t.detail])).toEqual([['checkout', 'pause', 'too high']]);
  });

  it('a refused batch (an unknown flag) is stored by nobody and reaches no listener', async () => {
    let calls = 0;
    const samples = await setup(async () => (calls++, []));
    await expect(samples.ingest(reporter, [{ flag: 'nope', metric: 'error_rate', value: 1, cohort: 'treatment' }], false)).rejects.toMatchObject({ code: 'unknown_flag' });
    expect(calls).toBe(0);
  });
});
