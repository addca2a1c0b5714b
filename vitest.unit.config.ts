import { defineConfig } from 'vitest/config';
import { databases, sdkAlias, unitProject } from './vitest.config.js';

/**
 * The fast tier alone (`npm run test:unit`): vitest.config.ts's `sqlite-unit` and `postgres-unit`
 * projects (SWITCHYARD_TEST_DB=sqlite keeps the first only).
 */
export default defineConfig({
  resolve: { alias: sdkAlias },
  test: { projects: databases().map(unitProject) },
});
