// Read as text by test/architecture.test.ts (never imported, never compiled against real modules):
// one import of each form the import-direction check must see.
/* eslint-disable */
// @ts-nocheck
import { a } from '../../server/a.js';
import type {
  B,
} from '../../server/b.js';
export { c } from '../../server/c.js';
import '../../server/d.js';
const e = () => import('../../server/e.js');
