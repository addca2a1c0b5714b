import { execFileSync } from 'node:child_process';

/** Builds dist/ once per run: the CLI tests run the built `switchyard` bin, as users do. */
export default function setup(): void {
  execFileSync(process.execPath, ['build.mjs', '--server-only'], { stdio: 'inherit' });
}
