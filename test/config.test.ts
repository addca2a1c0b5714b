/**
 * The configuration is declared once per variable (server/config-vars.ts): the Config type, the
 * parser, `switchyard serve --help` and the README's table all follow from those declarations.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, deprecatedNames } from '../server/config.js';
import { VARS, type ConfigVar } from '../server/config-vars.js';
import { ConfigError } from '../server/errors.js';
import { cli, CLI } from './helpers/cli.js';
import { tempDataDir } from './helpers/server.js';

const vars = Object.values(VARS as Record<string, ConfigVar<unknown>>);
const FORMER = vars.flatMap((d) => (d.was ? [[d.was, d.env] as const] : []));

/** The README's configuration table: variable name → its default cell, as written. */
function readmeTable(): Map<string, string> {
  const readme = fs.readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 5));
  const rows = new Map<string, string>();
  for (const m of section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)) rows.set(m[1]!, m[2]!.trim());
  return rows;
}

describe('one declaration per configuration variable', () => {
  it('no two declarations share a variable name, and no former name is a current one', () => {
    const names = vars.flatMap((d) => [d.env, ...(d.was ? [d.was] : [])]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('every variable unset gives its declared default, and the overrides a test passes are seen by the defaults that depend on them', () => {
    const c = configFromEnv({}, { maxConnections: 100, dataDir: '/srv/sy' });
    expect(c.port).toBe(8080);
    expect(c.maxStreams).toBe(84);
    expect(c.maxConnectionsPerKey).toBe(42);
    expect(c.secretFile).toBe(path.join('/srv/sy', 'secret'));
    expect(c.dbFile).toBe(path.join('/srv/sy', 'switchyard.db'));
    expect(c.metricsTokenMaxTtlSeconds).toBe(c.maxTokenTtlSeconds);
    expect(c.databaseUrl).toBeUndefined();
  });

  it('a bad value is refused with one line naming the variable, what is allowed and what was given', () => {
    expect(() => configFromEnv({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => configFromEnv({ PORT: '70000' })).toThrow(/^PORT must be an integer from 0 to 65535, got "70000"$/);
    expect(() => configFromEnv({ MAX_TOKEN_TTL: 'forever' })).toThrow(/^MAX_TOKEN_TTL must be a duration from 1s to 366d/);
    expect(() => configFromEnv({ LOG_LEVEL: 'loud' })).toThrow(/^LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"$/);
  });

  it('switchyard serve --help lists every variable with its default and its line of help', async () => {
    const r = await cli(['serve', '--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const d of vars) expect(r.stdout).toContain(`${d.env} (${d.shown.replaceAll('`', '')})  ${d.help}`);
  });

  it("the README's configuration table has one row per variable, in declaration order, each with the declared default", () => {
    const rows = readmeTable();
    expect([...rows.keys()]).toEqual(vars.map((d) => d.env));
    for (const d of vars) expect(rows.get(d.env), d.env).toBe(d.shown);
  });
});

describe('the sample variables have names of their own; the former METRICS_* names keep working', () => {
  it.each(FORMER)('%s still sets what %s sets', (was, now) => {
    const value = now === 'SAMPLES_TOKEN_MAX_TTL' ? '90d' : '5000';
    expect(configFromEnv({ [was]: value })).toEqual(configFromEnv({ [now]: value }));
    expect(deprecatedNames({ [was]: value })).toEqual([`${was} is a former name: set ${now} instead (${was} still works for now)`]);
    expect(deprecatedNames({ [now]: value })).toEqual([]);
  });

  it('a bad value under a former name is refused naming that name', () => {
    expect(() => configFromEnv({ METRICS_RATE_LIMIT: '5' })).toThrow(/^METRICS_RATE_LIMIT must be an integer from 1000 to 100000000, got "5"$/);
  });

  it('a former name and its new name set to different values stop the start in one line naming both; the same value is fine', async () => {
    expect(() => configFromEnv({ METRICS_RATE_LIMIT: '2000', SAMPLES_RATE_LIMIT: '3000' })).toThrow(/METRICS_RATE_LIMIT.*SAMPLES_RATE_LIMIT.*set only SAMPLES_RATE_LIMIT/);
    expect(configFromEnv({ METRICS_RATE_LIMIT: '2000', SAMPLES_RATE_LIMIT: '2000' }).metricsRateLimit).toBe(2000);
    const r = await cli(['serve'], { DATA_DIR: tempDataDir(), PORT: '0', METRICS_OBSERVATION_LIMIT: '2000', SAMPLES_OBSERVATION_LIMIT: '3000' });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual(['switchyard: METRICS_OBSERVATION_LIMIT (former name of SAMPLES_OBSERVATION_LIMIT) is "2000" but SAMPLES_OBSERVATION_LIMIT is "3000": set only SAMPLES_OBSERVATION_LIMIT']);
  });

  it('a server started with METRICS_RATE_LIMIT serves, and its log warns at start naming SAMPLES_RATE_LIMIT', async () => {
    const dataDir = tempDataDir();
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, DATA_DIR: dataDir, PORT: '0', METRICS_RATE_LIMIT: '2000' } });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /switchyard listening on (http:\/\/[\d.:]+)/.exec(out);
          if (m && out.includes('METRICS_RATE_LIMIT is a former name')) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const warning = out.split('\n').find((l) => l.includes('METRICS_RATE_LIMIT is a former name'))!;
      expect(JSON.parse(warning)).toMatchObject({ level: 40, msg: 'METRICS_RATE_LIMIT is a former name: set SAMPLES_RATE_LIMIT instead (METRICS_RATE_LIMIT still works for now)' });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('README.md and docs/ name a former variable only beside its new name', () => {
    const files = ['README.md', ...fs.readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
    const stale = files.flatMap((f) =>
      fs.readFileSync(f, 'utf8').split('\n').flatMap((line, i) => FORMER.filter(([was, now]) => new RegExp(`\\b${was}\\b`).test(line) && !line.includes(now)).map(([was]) => `${f}:${i + 1}: ${was}`)),
    );
    expect(stale).toEqual([]);
  });
});
