import type { z } from 'zod';
import type { Permission } from '../auth/roles.js';

/** Who may call a route: a user permission (CAN[...] lists the roles), an SDK key, a scraper, or anyone. */
export type Access = { permission: Permission } | { sdkKey: true } | { scrape: true } | { public: true };

/** What a route's example is: the path parameters, query and body the test replays against a real server. */
export interface RouteExample {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/**
 * One HTTP route as the OpenAPI document describes it. The request schemas are the very zod
 * schemas the route validates with, so the document cannot drift from what the server accepts.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax, e.g. `/api/flags/:key/kill`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Success status, 200 unless given. */
  status?: number;
  /** Content type of the success body; JSON unless given. */
  produces?: string;
  /** What the success body holds (responses have no schema of their own yet). */
  returns: string;
  /** Required for every route with a body: valid against `body`, accepted by the server in the test's prepared state. */
  example?: RouteExample;
}
