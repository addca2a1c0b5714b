/**
 * Import direction (docs/architecture.md, "Import arrows"): reads every TypeScript source under
 * server/ (its folders and the files directly in it), admin-ui/src and sdk/src and checks four rules
 * without running any of it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** The entries of the SDK package that server/ and admin-ui/ may import: wire types, view types, the pure evaluation, the reach merge. */
export const SDK_SHARED_ENTRIES = ['@switchyard-flags/sdk/api', '@switchyard-flags/sdk/protocol', '@switchyard-flags/sdk/evaluate', '@switchyard-flags/sdk/bucket', '@switchyard-flags/sdk/reach'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

/** Every import specifier of one file, as written. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** Relative imports of one file, resolved to repository paths with a .ts extension. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec?.startsWith('.')) continue;
    out.push(relative(root, resolve(root, dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts'));
  }
  return out;
}

const isTest = (f: string) => f.endsWith('.test.ts');
/** The files directly in server/ that read the environment and wire the domains together; domains are handed what they need instead. */
const ASSEMBLY = /^server\/(main|app|services|config|cli[a-z-]*|bootstrap-token)\.ts$/;
/** The folder of server/ a file belongs to (`flags`, `push` …), or for a file directly in server/ its own name (`config.ts`): each is one node of the import graph. */
const serverFolder = (f: string) => /^server\/([^/]+)(?:\/|$)/.exec(f)?.[1];

/** Folder-level import cycles of server/: each is a list of folders, the first repeated at the end, with one import per arrow. */
export function folderCycles(files: string[], importsOf: (f: string) => string[]): string[] {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = serverFolder(file);
    if (!from || isTest(file)) continue;
    for (const target of importsOf(file)) {
      const to = serverFolder(target);
      if (!to || to === from) continue;
      const out = edges.get(from) ?? new Map<string, string>();
      if (!out.has(to)) out.set(to, `${file} → ${target}`);
      edges.set(from, out);
    }
  }
  const cycles = new Set<string>();
  const walk = (path: string[]) => {
    const last = path[path.length - 1]!;
    for (const [next] of edges.get(last) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const loop = [...path.slice(at), next];
        const start = loop.slice(0, -1).reduce((a, b) => (a < b ? a : b));
        const i = loop.indexOf(start);
        const canonical = [...loop.slice(i, -1), ...loop.slice(0, i), start];
        const arrows = canonical.slice(0, -1).map((f, k) => edges.get(f)!.get(canonical[k + 1]!)!);
        cycles.add(`${canonical.join(' → ')}  (${arrows.join('; ')})`);
      } else walk([...path, next]);
    }
  };
  for (const folder of edges.keys()) walk([folder]);
  return [...cycles].sort();
}

describe('import direction', () => {
  const server = sources('server');
  const ui = sources('admin-ui/src');
  const sdk = sources('sdk/src');

  it('no folder of server/ imports, through any chain, a folder that imports it back', () => {
    expect(folderCycles(server, importsOf)).toEqual([]);
  });

  it('no folder of server/ imports the files that assemble the server: main, app, services, config, the CLI', () => {
    const bad = server.flatMap((f) =>
      isTest(f) || !/^server\/[^/]+\//.test(f) ? [] : importsOf(f).filter((t) => ASSEMBLY.test(t)).map((t) => `${f} → ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it('the database handle has one name, Db: no file of server/ but the one defining it spells Kysely<Database> as a type or aliases it', () => {
    const bad = server.flatMap((f) => {
      const lines = readFileSync(join(root, f), 'utf8').split('\n');
      return lines.flatMap((line, i) => (/(?<!new )Kysely<Database>/.test(line) && !/^export type Db = Kysely<Database>;$/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(bad).toEqual([]);
  });

  it('server/ and admin-ui/ import the SDK by its package name, only its shared entries, never a path into sdk/', () => {
    const exported = Object.keys(JSON.parse(readFileSync(join(root, 'sdk', 'package.json'), 'utf8')).exports);
    for (const entry of SDK_SHARED_ENTRIES) expect(exported).toContain(entry.replace('@switchyard-flags/sdk', '.'));
    const allowed = new Set(SDK_SHARED_ENTRIES);
    const bad = [...server, ...ui].flatMap((f) => [
      ...importsOf(f)
        .filter((t) => t.startsWith('sdk/'))
        .map((t) => `${f} → ${t} (a path into sdk/)`),
      ...specifiersOf(f)
        .filter((s) => s.startsWith('@switchyard-flags/sdk') && !allowed.has(s))
        .map((s) => `${f} → ${s}`),
    ]);
    expect(bad).toEqual([]);
  });

  it('sdk/src imports nothing from server/, admin-ui/ or anywhere outside sdk/', () => {
    const bad = sdk.flatMap((f) => importsOf(f).filter((t) => !t.startsWith('sdk/')).map((t) => `${f} → ${t}`));
    expect(bad).toEqual([]);
  });

  it('every form of import is seen: named, type-only, re-export, side effect and dynamic', () => {
    const seen = importsOf('test/helpers/architecture-fixture.ts');
    expect(seen).toEqual(['server/a.ts', 'server/b.ts', 'server/c.ts', 'server/d.ts', 'server/e.ts']);
  });

  it('the cycle check sees the files directly in server/: a loop through config.ts is found', () => {
    const graph: Record<string, string[]> = {
      'server/auth/tokens.ts': ['server/config.ts'],
      'server/config.ts': ['server/rollout/webhook-destination.ts'],
      'server/rollout/plan-service.ts': ['server/audit/audit-hash.ts'],
      'server/audit/audit-redaction.ts': ['server/auth/roles.ts'],
    };
    expect(folderCycles(Object.keys(graph), (f) => graph[f] ?? [])).toEqual([
      'audit → auth → config.ts → rollout → audit  (server/audit/audit-redaction.ts → server/auth/roles.ts; server/auth/tokens.ts → server/config.ts; server/config.ts → server/rollout/webhook-destination.ts; server/rollout/plan-service.ts → server/audit/audit-hash.ts)',
    ]);
  });

  it('the cycle check finds a cycle through three folders and names each arrow', () => {
    const graph: Record<string, string[]> = {
      'server/a/x.ts': ['server/b/y.ts'],
      'server/b/y.ts': ['server/c/z.ts'],
      'server/c/z.ts': ['server/a/x.ts', 'server/errors.ts'],
      'server/a/x.test.ts': ['server/c/z.ts'],
    };
    expect(folderCycles(Object.keys(graph), (f) => graph[f] ?? [])).toEqual([
      'a → b → c → a  (server/a/x.ts → server/b/y.ts; server/b/y.ts → server/c/z.ts; server/c/z.ts → server/a/x.ts)',
    ]);
  });
});
