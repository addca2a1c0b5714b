// The parts of the OpenAPI document that are words, not routes: what each tag holds and each
// credential is (server/openapi/openapi-document.ts puts them in).

/** What each tag holds, for the document's readers (every tag of the route table needs one). */
export const TAGS: Record<string, string> = {
  environments: 'Environments (development, staging, production, …): a flag has its own stage, plan, kill and evidence in each; `/api/envs/:env/flags/:key/...` acts in one.',
  flags: 'Flags: create, edit, list, archive; the FlagView every answer about a flag carries.',
  killswitch: 'Kill switches: one flag, by tag or all, and their restores. Never gated.',
  push: 'The flag state SDKs evaluate (the HTTP snapshot) and how far a change has reached them.',
  ofrep: "OpenFeature's Remote Evaluation Protocol, for OpenFeature providers and browsers (client SDK keys).",
  telemetry: 'Evaluation counts reported by SDKs: usage per stage, stale flags.',
  'metric samples': 'Metric samples from reporters (eval score, error rate, latency, cost) and the series per flag.',
  rollout: 'Rollout plans, sign-offs, gates, stage moves (advance is gated; pause, rollback never are) and previews.',
  audit: 'The hash-chained audit trail: pages, verification, export, signed checkpoints.',
  auth: 'SDK keys and user-token revocation (admins).',
  health: 'Liveness and readiness probes.',
  observability: 'Prometheus metrics.',
  openapi: 'This document.',
};

/** The credentials the routes take (server/auth/auth-middleware.ts, server/ofrep/ofrep-http.ts); each operation lists its own. */
export const SECURITY_SCHEMES: Record<string, Record<string, unknown>> = {
  userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user token (`switchyard token --sub you --role oncall`) or one from your JWKS issuer.' },
  sdkKey: { type: 'http', scheme: 'bearer', description: 'An SDK key, `sy_sdk_...` (reads flag state only): a server key on `/sdk/flags`; a server or client key on OFREP.' },
  sdkApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: "An SDK key in OFREP's `X-API-Key` header (the OFREP routes only), instead of `Authorization: Bearer`." },
  eventStreamToken: { type: 'apiKey', in: 'query', name: 'token', description: "The token in an OFREP bulk answer's `eventStreams` URL: it names an SDK key (never the key itself)." },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for Prometheus.' },
};
