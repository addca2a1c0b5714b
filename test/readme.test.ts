import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/cli.js';
import { claimDifferences } from './helpers/readme-claims.js';
import { shellBlocks, type ShellBlock } from './helpers/readme-blocks.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The README is a test: every shell block runs, in order, with bash, against a fresh server (port
 * 0, temp DATA_DIR), and every `# → …` claim is compared with what its command printed
 * (test/helpers/readme-claims.ts). The blocks share one shell state (variables carry over, as in
 * a reader's terminal). The substitutions, and nothing else: the README's URL becomes the test
 * server's; `npx switchyard` runs the built CLI (dist/cli.js, as the published bin would); `curl`
 * gets `--fail-with-body`, so a 4xx/5xx fails the block unless the README claims an `"error"` body
 * or a 4xx/5xx status. The shell starts from a bare environment (PATH, HOME), as a fresh terminal
 * would, so a developer's own SECRET_FILE, DATABASE_URL or SWITCHYARD_TOKEN cannot leak in.
 */

/** Blocks that cannot run here, by their first command, each with why. */
const SKIP: Array<{ block: string; reason: string }> = [
  { block: 'npm install && npm start', reason: 'builds and starts a server on port 8080 itself; this test starts its own on port 0' },
  { block: 'npm pack -w sdk', reason: 'packs and installs the SDK into an app of yours; test/sdk-package.test.ts packs it and installs the tarball into an empty project' },
  { block: 'npm install && npm test', reason: 'the whole suite (15+ minutes), of which this file is a part' },
  { block: 'createdb -T template0', reason: 'needs a PostgreSQL server of your own at 127.0.0.1:5432 (the PostgreSQL suites cover serving from one)' },
  { block: 'SECRET_FILE=/etc/switchyard/secret', reason: 'needs /etc/switchyard/secret and a PostgreSQL at db:5432 (test/cli-secret-file.test.ts and test/postgres-cli.test.ts run the same commands on temp paths)' },
  { block: 'curl -s -X POST localhost:8080/api/flags/support-draft/kill -H "authorization: Bearer $TOKEN"', reason: 'needs three PostgreSQL replicas on 8080-8082 (test/cluster-replicas.test.ts)' },
];

const README = fs.readFileSync('README.md', 'utf8');
const blocks = shellBlocks(README);
const skipOf = (b: ShellBlock) => SKIP.find((s) => b.firstCommand.startsWith(s.block));

const PRELUDE = `set -eo pipefail
curl() { if [ -n "\${README_ALLOW_HTTP_ERROR:-}" ]; then command curl "$@"; else command curl --fail-with-body "$@"; fi; }
npx() { if [ "$1" = switchyard ]; then shift; node "$README_CLI" "$@"; else echo "the README test does not run npx $1" >&2; return 127; fi; }
`;
const MARK = (i: number | 'end') => `@@README-CMD-${i}@@`;

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const bare = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.homedir(), LANG: 'C.UTF-8' };
    execFile('bash', ['-c', script], { cwd, env: { ...bare, ...env }, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let ts: TestServer;
let cwd: string;
let env: Record<string, string>;
let stateFile: string;
let baseline: string[];
let broken: string | undefined;

beforeAll(async () => {
  ts = await startTestServer();
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-readme-'));
  stateFile = path.join(cwd, '.readme-state.sh');
  env = { DATA_DIR: ts.dataDir, README_CLI: CLI, ...(ts.databaseUrl ? { DATABASE_URL: ts.databaseUrl } : {}) };
  baseline = (await bash(`${PRELUDE}compgen -v`, cwd, env)).stdout.split('\n').filter(Boolean);
});
afterAll(async () => {
  await ts?.close();
  if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
});

/** The README's URL (`http://127.0.0.1:8080`, `localhost:8080`) as the test server's. */
const url = (text: string) => text.replace(/(https?:\/\/)?(127\.0\.0\.1|localhost):8080/g, ts.url);

/** The block as a script: the commands with a marker before each, then the shell's variables saved. */
function script(block: ShellBlock): string {
  const parts = block.commands.map((c, i) => {
    // A command the README shows failing: an error body, or a 4xx/5xx status printed by `-w '%{http_code}'`.
    const allowError = c.claims.some((claim) => claim.includes('"error"') || /^[45]\d\d$/.test(claim));
    const run = allowError ? `export README_ALLOW_HTTP_ERROR=1\n${url(c.text)}\nunset README_ALLOW_HTTP_ERROR` : url(c.text);
    return `printf '\\n%s\\n' '${MARK(i)}'\n${run}`;
  });
  const keep = baseline.join(' ');
  return `${PRELUDE}[ -f ${stateFile} ] && source ${stateFile}\n${parts.join('\n')}\nprintf '\\n%s\\n' '${MARK('end')}'
for v in $(compgen -v); do case " ${keep} BASH_COMMAND " in *" $v "*) ;; *) declare -p "$v" 2>/dev/null || true ;; esac; done > ${stateFile}\n`;
}

/** Each command's printed text, by the markers. */
function outputs(stdout: string): Map<number | 'end', string> {
  const found = new Map<number | 'end', string>();
  const parts = stdout.split(/\n?@@README-CMD-(\d+|end)@@\n/);
  for (let i = 1; i < parts.length; i += 2) found.set(parts[i] === 'end' ? 'end' : Number(parts[i]), (parts[i + 1] ?? '').replace(/\n$/, ''));
  return found;
}

describe('the README is a test: every shell block runs in order against a fresh server', () => {
  it('the tools the README uses are here: bash, curl and jq (apt-get install -y curl jq)', async () => {
    const found = await bash('command -v curl && command -v jq', cwd, env);
    expect(found.code, `missing: ${found.stdout}${found.stderr}; install curl and jq to run the README`).toBe(0);
  });

  it('the skip list names only blocks the README has, and the README has shell blocks to run', () => {
    for (const s of SKIP) expect(blocks.some((b) => b.firstCommand.startsWith(s.block)), `skip entry "${s.block}" matches no block`).toBe(true);
    expect(blocks.filter((b) => !skipOf(b)).length).toBeGreaterThan(5);
  });

  for (const block of blocks) {
    const skip = skipOf(block);
    const name = `the block at README.md:${block.line} (${block.heading}: ${block.firstCommand.slice(0, 60)}) runs and prints what the README says`;
    if (skip) {
      it.skip(`${name} — not run: ${skip.reason}`, () => undefined);
      continue;
    }
    it(name, async () => {
      expect(broken, `an earlier block failed (${broken}); the blocks build on each other`).toBeUndefined();
      const r = await bash(script(block), cwd, env);
      const printed = outputs(r.stdout);
      const failed = [...printed.keys()].filter((k) => k !== 'end').pop() as number | undefined;
      if (r.code !== 0 || !printed.has('end')) {
        const c = failed === undefined ? undefined : block.commands[failed];
        broken = `README.md:${c?.line ?? block.line}`;
        expect.fail(`README.md:${c?.line ?? block.line} exited ${r.code}:\n${c?.text ?? ''}\nprinted: ${printed.get(failed!) ?? ''}\nstderr: ${r.stderr}`);
      }
      const problems = block.commands.flatMap((c, i) => claimDifferences(c.claims.map(url), printed.get(i) ?? '').map((p) => `README.md:${c.line}: ${p}`));
      expect(problems).toEqual([]);
    }, 120_000);
  }
});

describe('the README claim checker catches a README that lies', () => {
  it('a command continued over lines and quoted text is one command, and the `# →` lines after it are its claims', () => {
    const cmds = shellBlocks("```sh\ncurl -s -X POST $SY/x \\\n  -d '{\"a\":\n  1}'   # a comment\n# → {\"a\":1}\n#     \n# a plain comment\necho 'it''s' # → not a claim\n```\n")[0]!.commands;
    expect(cmds.map((c) => [c.line, c.claims])).toEqual([[2, ['{"a":1}']], [8, []]]);
  });

  it('a field the README shows with another value is reported with its path; fields it leaves out are not checked', () => {
    expect(claimDifferences(['{"ok":true,"count":5}'], '{"ok":true,"count":4,"head":"ab12"}')).toEqual(['$.count: README shows 5, got 4']);
    expect(claimDifferences(['{"ok":true,"count":4}'], '{"ok":true,"count":4,"head":"ab12"}')).toEqual([]);
  });

  it('"…" stands for any value or text, and a number matches what rounds to it as written', () => {
    expect(claimDifferences(['{"head":"…","url":"http://x/…?token=…","interval":[-0.0589,0.0512]}'], '{"head":"9f","url":"http://x/e?token=t","interval":[-0.05894,0.05119]}')).toEqual([]);
    expect(claimDifferences(['{"interval":[-0.0589]}'], '{"interval":[-0.0599]}')).toHaveLength(1);
    expect(claimDifferences(['{"n":60}'], '{"n":60.4}')).toHaveLength(1);
  });

  it('more or fewer printed values than claims, text that differs, or a claim that is not JSON are reported', () => {
    expect(claimDifferences(['{"a":1}'], '{"a":1}\n{"a":2}')).toHaveLength(1);
    expect(claimDifferences(['support-draft: killed'], 'support-draft: live (restored)')).toHaveLength(1);
    expect(claimDifferences(['{..., "a":1}'], '{"a":1}')[0]).toContain('does not parse');
    expect(claimDifferences(['304'], '304')).toEqual([]);
  });
});
