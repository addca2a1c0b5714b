import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import type { Logger } from './log.js';

/**
 * The bootstrap admin token goes to the terminal only when stdout is one; otherwise (a log
 * collector, a container's log stream) to a 0600 file whose path, never the token, is logged.
 */
export function showBootstrapToken(config: Config, url: string, token: string, log: Logger): void {
  if (process.stdout.isTTY) {
    printBanner(url, token);
    return;
  }
  const file = path.join(config.dataDir, 'bootstrap-admin-token');
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  log.warn({ file }, `first start: the bootstrap admin token (valid 24h) was written to ${file} because stdout is not a terminal; read it, then delete the file`);
}

function printBanner(url: string, token: string): void {
  // Deliberately plain stdout, not a log line: it is shown once, on the first start only.
  process.stdout.write(
    [
      '',
      'First start: a signing secret was created in the data dir.',
      'Bootstrap admin token (valid 24h; make more with `npx switchyard token --sub you --role admin`):',
      '',
      `  ${token}`,
      '',
      `Admin UI, signed in: ${url}/#token=${token}`,
      `Try it:  curl -H "Authorization: Bearer $TOKEN" ${url}/api/flags`,
      '',
    ].join('\n') + '\n',
  );
}
