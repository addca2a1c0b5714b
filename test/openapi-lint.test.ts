import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

const REDOCLY = path.resolve('node_modules/@redocly/cli/bin/cli.js');
const NO_NETWORK = path.resolve('test/helpers/no-network.mjs');

describe('the served OpenAPI document under Redocly lint', () => {
  let ts: TestServer;
  let dir: string;

  beforeAll(async () => {
    ts = await startTestServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-lint-'));
  });
  afterAll(async () => {
    await ts.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every rule of recommended-strict (redocly.yaml), offline, with no warning', async () => {
    const served = await ts.api('GET', '/api/openapi.json');
    expect(served.status).toBe(200);
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, served.text);
    const attempts = path.join(dir, 'network.log');
    // Redocly CLI sends usage telemetry and checks for updates unless told not to; the preloaded
    // guard refuses and records any name lookup or socket, so "offline" is checked, not assumed.
    const run = spawnSync(process.execPath, ['--import', NO_NETWORK, REDOCLY, 'lint', file, '--config', 'redocly.yaml', '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_NETWORK_LOG: attempts, NO_COLOR: '1' },
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number; ignored: number }; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
    expect(fs.existsSync(attempts) ? fs.readFileSync(attempts, 'utf8') : '', 'network attempts').toBe('');
  });
});
