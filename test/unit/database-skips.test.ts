import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SKIPS, skippedFiles } from '../database-skips.js';

const root = path.resolve(import.meta.dirname, '../..');
const testSources = (dir: string): string[] =>
  fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts')).map((f) => fs.readFileSync(path.join(root, dir, f), 'utf8'));

describe('the one skip list (test/database-skips.ts)', () => {
  it('names only files that exist and tests that an itSqliteOnly call skips, each with a reason', () => {
    const sources = [...testSources('test'), ...testSources('server')].join('\n');
    for (const [key, s] of Object.entries(SKIPS)) {
      expect(s.why.length, key).toBeGreaterThan(20);
      if (skippedFiles(s.skip).includes(key)) {
        const dir = key.endsWith('/**') ? key.slice(0, -3) : key;
        expect(fs.existsSync(path.join(root, dir)), `${key} does not exist`).toBe(true);
      } else {
        expect(sources.includes(`itSqliteOnly('${key}'`) || sources.includes(`itSqliteOnly(\n    '${key}'`), `no itSqliteOnly('${key}', …)`).toBe(true);
      }
    }
  });

  it('leaves a file out of one project at most: nothing is skipped on both databases', () => {
    const both = skippedFiles('sqlite').filter((f) => skippedFiles('postgres').includes(f));
    expect(both).toEqual([]);
    expect(skippedFiles('postgres').length).toBeGreaterThan(0);
  });
});
