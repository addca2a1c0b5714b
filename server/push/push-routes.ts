import { z } from 'zod';
import { Forbidden, NotFound } from '../errors.js';

/** A client key (a browser's, a phone's) never reads full flag states: rules, allowlists and salts stay on the server. */
export const CLIENT_KEY_REFUSED =
  'a client SDK key gets only answers evaluated for the context it sends: use POST /ofrep/v1/evaluate/flags (the full flag state needs a server key)';
import { routeFor } from '../http/route.js';
import type { EnvironmentService } from '../environments/environment-service.js';
import { flagStateWire, propagationSchema } from '../http/schemas.js';
import type { Snapshot } from '@switchyard-flags/sdk/protocol';
import type { PushState } from './push-state.js';

/** `"7"` matches `If-None-Match: "7"`, `W/"7"` or a list holding either; never `*`, which names no version (a 304 to it would hide a kill). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}

/** `Snapshot` (sdk/src/protocol.ts): `{version, flags: FlagState[]}`, what the stream sends first. */
export const sdkSnapshotSchema = z.strictObject({ version: z.number().int(), flags: z.array(flagStateWire) }) satisfies z.ZodType<Snapshot>;

const route = routeFor<{ push: PushState; environments: EnvironmentService }>('push');

const etagHeader = { ETag: { description: 'The snapshot version, quoted (`"7"`): send it back as If-None-Match.', schema: { type: 'string' } } };

/** Propagation figures (under /api) and the SDK's HTTP snapshot (outside /api: SDK keys only, ETag/304). */
export const pushRoutes = [
  route({
    method: 'get', path: '/api/flags/:key/propagation', summary: "How far the flag's latest change has reached connected SDKs",
    access: { permission: 'read' }, response: propagationSchema,
    handler: async ({ params }, { push, environments }) => {
      const where = push.env(await environments.scope(params.env));
      await where.start();
      await where.feed.settled();
      const key = params.key!;
      const figures = where.tracker.of(key);
      if (!figures) throw new NotFound(`flag "${key}" does not exist`);
      return figures;
    },
  }),
  route({
    method: 'get', path: '/sdk/flags', summary: 'The flag state snapshot for SDKs (ETag / 304)', access: { sdkKey: true },
    description:
      'The snapshot the stream would send (of the SDK key\'s own environment), for bootstrap, polling fallback and curl. The answer carries `ETag: "<version>"`; a request whose `If-None-Match` holds that tag (or `W/` of it) gets a 304 with no body; `*` always gets the snapshot.',
    response: sdkSnapshotSchema,
    openapi: {
      parameters: [{ name: 'If-None-Match', in: 'header', required: false, description: 'The ETag of the snapshot you hold; unchanged is a 304.', schema: { type: 'string' }, example: '"7"' }],
      headers: etagHeader,
      responses: { '304': { description: 'Not modified: the snapshot is still the one the If-None-Match names.', headers: etagHeader } },
    },
    handler: async ({ req, res }, { push }) => {
      if (req.principal?.kind === 'sdk' && req.principal.keyKind === 'client') throw new Forbidden(CLIENT_KEY_REFUSED);
      // The key's own environment, always: no parameter or header of the request chooses another.
      const where = push.env(req.principal?.kind === 'sdk' ? req.principal.environment : push.defaultEnvironment);
      await where.start();
      await where.feed.settled();
      const snapshot = where.feed.snapshot();
      const etag = `"${snapshot.version}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'private, no-cache');
      res.setHeader('Vary', 'Authorization');
      if (matches(req.headers['if-none-match'], etag)) {
        res.status(304).end();
        return;
      }
      return snapshot;
    },
  }),
];
