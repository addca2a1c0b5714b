import { z } from 'zod';
import type { Environment } from '@switchyard-flags/sdk/api';
import { routeFor, type Route } from '../http/route.js';
import type { EnvironmentService } from './environment-service.js';

/** An environment key: a lower-case letter, then up to 31 lower-case letters, digits or `-`. */
export const environmentKeySchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lower-case letter then up to 31 lower-case letters, digits or -');
const nameSchema = z.string().trim().min(1, 'must not be empty').max(100);
const orderSchema = z.number().int().min(0).max(1000);

export const environmentSchema = z.strictObject({
  key: z.string(), name: z.string(), order: z.number().int(), protected: z.boolean(), requireSignoff: z.boolean(), archived: z.boolean(),
  version: z.number().int(), createdAt: z.string(), createdBy: z.string(), updatedAt: z.string(), updatedBy: z.string(),
}).meta({ id: 'Environment' }) satisfies z.ZodType<Environment>;

export const createEnvironmentSchema = z.strictObject({
  key: environmentKeySchema, name: nameSchema, order: orderSchema.optional(), protected: z.boolean().optional(), requireSignoff: z.boolean().optional(),
});

export const patchEnvironmentSchema = z.strictObject({
  version: z.number().int().min(1), name: nameSchema.optional(), order: orderSchema.optional(), protected: z.boolean().optional(),
  requireSignoff: z.boolean().optional(), archived: z.boolean().optional(),
});

const route = routeFor<{ environments: EnvironmentService }>('environments');

/** Environments as data (issue 23). Examples run in this order (test/openapi.test.ts). */
export const environmentRoutes = [
  route({
    method: 'get', path: '/api/environments', summary: 'Every environment, in order (archived ones marked)', access: { permission: 'read' },
    response: z.strictObject({ environments: z.array(environmentSchema) }),
    handler: (_input, { environments }) => environments.list(),
  }),
  route({
    method: 'post', path: '/api/environments', summary: 'Create an environment (admins); every flag gets a fresh state in it',
    description: 'Every flag gets a row in the new environment: no plan, stage 0, live, the same salt (a user\'s bucket is the same in every environment). 409 `environment_exists` if the key exists (archived included: keys are never reused). Audited as `environment.create`.',
    access: { permission: 'environments' }, body: createEnvironmentSchema, response: environmentSchema, status: 201,
    example: { body: { key: 'staging', name: 'Staging', order: 1 } },
    handler: ({ body, actor }, { environments }) => environments.create(actor, body),
  }),
  route({
    method: 'patch', path: '/api/environments/:env', summary: 'Rename, reorder, protect or archive an environment (admins)',
    description: '409 `version_conflict` for a stale `version`; the default environment cannot be archived (409 `default_environment`). Nothing is ever deleted. Audited as `environment.update` with before and after.',
    access: { permission: 'environments' }, body: patchEnvironmentSchema, response: environmentSchema,
    example: { params: { env: 'staging' }, body: { version: 1, name: 'Staging (EU)', requireSignoff: false } },
    handler: ({ body, params, actor }, { environments }) => environments.update(actor, params.env!, body),
  }),
];

/** The flag routes an environment-scoped copy is made of: `/api/flags/:key/<name>` → `/api/envs/:env/flags/:key/<name>`. */
export const SCOPED_ACTIONS = ['plan', 'signoffs', 'advance', 'rollback', 'pause', 'resume', 'kill', 'restore', 'gates', 'propagation', 'usage', 'metrics'] as const;

/**
 * The environment-scoped copies of `routes` (routes are data): the same handler, which reads
 * `params.env` through `EnvironmentService.scope` (404 for an unknown or archived environment).
 */
export function scopedCopies<D>(routes: readonly Route<D>[]): Route<D>[] {
  const out: Route<D>[] = [];
  for (const r of routes) {
    if (r.path === '/api/kill') {
      out.push({ ...r, path: '/api/envs/:env/kill', summary: 'Kill every flag with a tag, or all flags, in one environment', ...(r.example ? { example: { ...r.example, params: { env: 'staging' } } } : {}) });
      continue;
    }
    if (r.path === '/api/restore') {
      out.push({ ...r, path: '/api/envs/:env/restore', summary: 'Restore every flag with a tag, all flags, or exactly one kill, in one environment', ...(r.example ? { example: { ...r.example, params: { env: 'staging' } } } : {}) });
      continue;
    }
    if (r.path === '/api/flags/:key' && r.method === 'get') {
      out.push({ ...r, path: '/api/envs/:env/flags/:key', summary: 'Read a flag in one environment (its stage, plan, pause and kill there)', ...(r.example ? { example: { ...r.example, params: { env: 'staging', ...r.example.params } } } : {}) });
      continue;
    }
    const m = /^\/api\/flags\/:key\/([a-z]+)$/.exec(r.path);
    if (!m || !(SCOPED_ACTIONS as readonly string[]).includes(m[1]!)) continue;
    const example = r.example && { ...r.example, params: { env: 'staging', ...r.example.params } };
    // Engineers may advance in an unprotected environment set to requireSignoff: false (the rollout service checks the environment).
    const access = m[1] === 'advance' ? { access: { permission: 'advanceInEnvironment' as const } } : {};
    out.push({ ...r, ...access, path: `/api/envs/:env/flags/:key/${m[1]}`, summary: `${r.summary} (in one environment)`, ...(example ? { example } : {}) });
  }
  return out;
}
