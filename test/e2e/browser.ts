/**
 * Shared setup of the browser tests: build the admin UI once, find the Debian `chromium`, start
 * a real server, and sign pages in by role (the first-start link style, `/#token=...`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Role } from '../../server/auth/roles.js';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Config } from '../../server/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const INSTALL_HINT =
  'The browser tests need Chromium: install it with `sudo apt-get install -y chromium` (Debian/Ubuntu) ' +
  'or point CHROMIUM_PATH at a Chromium binary.';

export function findChromium(): string | undefined {
  return CANDIDATES.find((p): p is string => !!p && fs.existsSync(p));
}

/** In CI a missing browser fails the run; locally the browser tests are skipped with the hint. */
export function browserOrSkip(): { executable: string | undefined; mustFail: boolean } {
  const executable = findChromium();
  const mustFail = !executable && process.env.CI === 'true';
  if (!executable && !mustFail) console.warn(`[e2e] skipping the browser tests: ${INSTALL_HINT}`);
  return { executable, mustFail };
}

export async function buildUi(): Promise<void> {
  process.env.SWITCHYARD_QUIET_BUILD = '1';
  const mod = await import('../../admin-ui/build.mjs');
  await mod.ensureAdminUi({ quiet: true });
}

/** Launches headless Chromium; playwright gives it a new, empty temporary profile. */
export async function launch(executablePath: string): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

export interface SignedIn {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors (other than the browser's notes about 4xx answers) seen so far. */
  errors: string[];
}

/** A phone held upright (an iPhone 12-15's CSS viewport). */
export const PHONE = { width: 390, height: 844 };

/** A fresh browser context (its own sessionStorage) signed in as `sub` with `role`. */
export async function signIn(
  browser: Browser,
  ts: TestServer,
  role: Role,
  sub: string,
  hash = '#/flags',
  viewport: { width: number; height: number } = { width: 1360, height: 900 },
): Promise<SignedIn> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // A 4xx answer is an expected outcome the UI shows; the browser logs it anyway.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(m.text());
  });
  const token = await ts.token(role, sub);
  await page.goto(`${ts.url}/#token=${token}`);
  await page.getByText(`Signed in as ${sub}`).waitFor();
  if (hash !== '#/flags') await page.evaluate((h) => (location.hash = h), hash);
  return { context, page, errors };
}

/**
 * Where the e2e run writes its screenshots: docs/screenshots in CI or with
 * UPDATE_SCREENSHOTS=1 (the README shows them), else a temp dir, so a local `npm test` does
 * not leave the committed pictures modified.
 */
export const SCREENSHOTS =
  process.env.CI === 'true' || process.env.UPDATE_SCREENSHOTS === '1'
    ? path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'switchyard-screenshots');
fs.mkdirSync(SCREENSHOTS, { recursive: true });

export interface BrowserSuite {
  ts: TestServer;
  browser: Browser;
}

/**
 * A describe block of browser tests, with the admin UI built, a real server and one headless
 * Chromium, all set up before its tests and closed after them (`config`: the server's, beside the test defaults). Without a browser it is
 * skipped locally (with the install hint) and fails in CI.
 */
export function describeInBrowser(name: string, body: (suite: BrowserSuite) => void, config?: Partial<Config>): void {
  const { executable, mustFail } = browserOrSkip();
  describe.runIf(mustFail)(`${name}: browser tests in CI`, () => {
    it('need a Chromium browser', () => {
      throw new Error(`no Chromium found. ${INSTALL_HINT}`);
    });
  });
  describe.skipIf(!executable)(name, () => {
    const suite = {} as BrowserSuite;
    let closeBrowser: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      await buildUi();
      suite.ts = await startTestServer({ config });
      const l = await launch(executable!);
      suite.browser = l.browser;
      closeBrowser = l.close;
    });
    afterAll(async () => {
      await closeBrowser?.();
      await suite.ts?.close();
    });
    body(suite);
  });
}
