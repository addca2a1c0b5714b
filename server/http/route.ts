import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Permission } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: a user permission (CAN[...] lists the roles), an SDK key, a scraper, or anyone. */
export type Access = { permission: Permission } | { sdkKey: true } | { scrape: true } | { public: true };

/** What a route's example is: the path parameters, query and body the test replays against a real server. */
export interface RouteExample {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** What the handler gets: the body and query already parsed by the route's schemas. */
export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  /** The acting user (routes with a `permission` only). */
  readonly actor: Actor;
  req: Request;
  res: Response;
}

/** An OpenAPI fragment for what the table cannot say by itself (a header, a 304). */
type Json = Record<string, unknown>;

/** Another answer than the success and the one error body: a 304, OFREP's own shapes; `schema` is its JSON body (none: no body). */
export interface OtherResponse {
  description: string;
  schema?: z.ZodType;
  headers?: Json;
  /** The media type of a body that is not JSON (an HTML page), instead of `schema`. */
  produces?: string;
}

/**
 * One HTTP route, as data: `mount()` registers it (access check, parsing, the success status)
 * and the OpenAPI document describes it from the same object, so the two cannot drift.
 */
export interface Route<D = unknown, B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  method: Method;
  /** The full path in express syntax, e.g. `/api/flags/:key/kill`; also the Prometheus `route` label. */
  path: string;
  /** The domain the route belongs to: its OpenAPI tag. */
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  body?: B;
  /**
   * Which alternative of a union `body` to validate with, from the raw body, so the error names
   * the fields of the shape the caller meant (the metric sample or the batch).
   */
  chooseBody?: (raw: unknown) => z.ZodType;
  query?: Q;
  /**
   * The success body's schema, required for every JSON answer: the handler's return type is
   * checked against it, the OpenAPI document describes the answer with it (its field list is the
   * response's description), and with SWITCHYARD_VALIDATE_RESPONSES=1 every answer is validated
   * against the document made from it (server/http/response-validator.ts).
   */
  response?: R;
  /** Success status, 200 unless given. */
  status?: number;
  /** Content types of a success body that is not JSON (a stream, CSV, text); JSON with `response` unless given. */
  produces?: string | readonly string[];
  /**
   * What the table cannot say by itself: extra parameters (request headers), the success
   * answer's headers, other answers (a 304; they replace the shared `4XX`/`5XX` error body when
   * given under those keys), and the credentials when they are not the access's usual ones (OFREP's
   * `X-API-Key`, the event stream's token).
   */
  openapi?: { parameters?: Json[]; responses?: Record<string, OtherResponse>; headers?: Json; security?: Json[] };
  /** Required for every route with a body: valid against `body`, accepted by the server in the test's prepared state. */
  example?: RouteExample;
  /** Mounted only when this holds for the deps (an optional part of the server). */
  when?: (deps: D) => boolean;
  /**
   * Answers the request: its result is sent as JSON with `status`; a handler that writes the
   * response itself (a stream, a 304, text) returns nothing. Errors go to the one error handler.
   */
  handler(input: RouteInput<z.output<B>, z.output<Q>>, deps: D): Answer<z.output<R>>;
}

/** What a handler returns: the body to send (checked against `response`), or nothing when it wrote the response itself. */
export type Answer<T> = T | void | Promise<T | void>;

/**
 * `const route = routeFor<{ flags: FlagService }>('flags')` gives a function that types one
 * route's handler from its schemas and stamps the domain's tag on it.
 */
export function routeFor<D>(tag: string) {
  return <B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType>(r: Omit<Route<D, B, Q, R>, 'tag'>): Route<D> =>
    ({ ...r, tag }) as unknown as Route<D>;
}
