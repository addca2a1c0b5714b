import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The built `switchyard` bin (test/global-setup.ts builds it once per run). */
export const CLI = path.resolve('dist/cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, with extra environment; never throws on a non-zero exit. */
export function cli(args: string[], env: Record<string, string> = {}, timeout = 30_000): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}
