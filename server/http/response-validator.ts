import fs from 'node:fs';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';

type Json = Record<string, unknown>;
type Check = (body: unknown) => string | undefined;

/** The environment variable that turns the validator on (the test suites set it: vitest.config.ts). */
export const VALIDATE_RESPONSES = 'SWITCHYARD_VALIDATE_RESPONSES';
/** A file each mismatch is also appended to (a JSON line), so a run can fail on one no test looked at (test/global-setup.ts). */
export const RESPONSE_PROBLEMS_FILE = 'SWITCHYARD_RESPONSE_PROBLEMS';

/** `/api/flags/{key}` -> a matcher; the fewer the templated segments, the earlier it is tried (`/kill` before `/{key}`). */
function pathMatchers(doc: Json): Array<{ path: string; re: RegExp; params: number }> {
  return Object.keys(doc.paths as Json)
    .map((path) => {
      const params = (path.match(/\{[^}]+\}/g) ?? []).length;
      const re = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
      return { path, re, params };
    })
    .sort((a, b) => a.params - b.params);
}

const pointer = (...parts: string[]) => '#/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

interface Validators {
  doc: Json;
  matchers: ReturnType<typeof pathMatchers>;
  checkAt(ref: string): Check;
}

/** The compiled checks of one document, shared by every app built from it (a test run starts many servers). */
const compiledFor = new WeakMap<Json, Promise<Validators>>();

function validatorsOf(doc: Json): Promise<Validators> {
  const known = compiledFor.get(doc);
  if (known) return known;
  const ready = (async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const addFormats = (await import('ajv-formats')).default as unknown as (ajv: object) => void;
    const ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi');
    const compiled = new Map<string, Check>();
    const checkAt = (ref: string): Check => {
      let check = compiled.get(ref);
      if (!check) {
        const validate = ajv.compile({ $ref: `openapi${ref}` });
        check = (body) => (validate(body) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'body' }));
        compiled.set(ref, check);
      }
      return check;
    };
    return { doc, matchers: pathMatchers(doc), checkAt };
  })();
  compiledFor.set(doc, ready);
  return ready;
}

/**
 * Checks every answer against the OpenAPI document, as a validating proxy (Prism) would: the
 * status must be documented for the operation, the content type listed for that status (no
 * content listed: no body), and a JSON body valid against its schema (ajv, JSON Schema 2020-12).
 * An answer that is not is logged and replaced by a 500 `response_invalid` naming what was wrong,
 * so the test that received it fails where it happened; a streamed answer that breaks the document
 * is cut off. Test-only: ajv is a devDependency, loaded only when SWITCHYARD_VALIDATE_RESPONSES=1.
 */
export function responseValidator(document: () => Json, log: Logger, problemsFile = process.env[RESPONSE_PROBLEMS_FILE]): RequestHandler {
  const ready = validatorsOf(document());

  return (req, res, next) => {
    ready.then(({ doc, matchers, checkAt }) => {
      if (req.method === 'HEAD' || req.method === 'OPTIONS') return next();
      const url = req.originalUrl.split('?')[0]!;
      const path = matchers.find((m) => m.re.test(url))?.path;
      const op = path && ((doc.paths as Record<string, Json>)[path]![req.method.toLowerCase()] as Json | undefined);
      if (!op) return next(); // not in the document (the UI's files, an unknown route): nothing to hold it to
      const where = `${req.method} ${path}`;
      /** What is wrong with this status and content type, or the schema to check a JSON body with. */
      const expect = (status: number, type: string | undefined): { problem?: string; check?: Check; json?: boolean } => {
        const responses = op.responses as Record<string, Json>;
        const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k]);
        if (!key) return { problem: `${where} answered ${status}, which the document does not list` };
        let response = responses[key]!;
        let at = pointer('paths', path!, req.method.toLowerCase(), 'responses', key);
        if (typeof response.$ref === 'string') {
          at = response.$ref;
          response = (doc.components as { responses: Record<string, Json> }).responses[response.$ref.split('/').pop()!]!;
        }
        const content = response.content as Json | undefined;
        const media = type?.split(';')[0]!.trim().toLowerCase();
        if (!content) return media ? { problem: `${where} ${status} has no body in the document, but answered ${media}` } : {};
        // A refusal may come without a body (OFREP refuses a credential with none, and a secure-mode
        // context with its JSON error): no body at all is never a wrong body for a 4xx.
        if (!media && status >= 400 && status < 500) return {};
        if (!media) return { problem: `${where} ${status} answered no content type; the document lists ${Object.keys(content).join(', ')}` };
        if (!content[media]) return { problem: `${where} ${status} answered ${media}; the document lists ${Object.keys(content).join(', ')}` };
        return media === 'application/json' ? { check: checkAt(`${at}/content/${pointer('application/json').slice(2)}/schema`), json: true } : {};
      };
      const fail = (problem: string) => {
        log.error({ requestId: req.requestId, problem }, 'response does not match the OpenAPI document');
        if (problemsFile) fs.appendFileSync(problemsFile, JSON.stringify({ at: new Date().toISOString(), problem }) + '\n');
      };
      hold(res, expect, fail, where);
      next();
    }, next);
  };
}

/** Wraps `res.write`/`res.end`: a JSON body is checked whole before it leaves; a stream's head is checked at its first chunk. */
function hold(
  res: Response,
  expect: (status: number, type: string | undefined) => { problem?: string; check?: Check; json?: boolean },
  fail: (problem: string) => void,
  where: string,
): void {
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let streaming = false;
  res.write = ((...args: unknown[]) => {
    if (!streaming) {
      streaming = true;
      const { problem } = expect(res.statusCode, res.getHeader('content-type') as string | undefined);
      if (problem) {
        fail(problem);
        res.destroy(new Error(problem));
        return false;
      }
    }
    return write(...args);
  }) as Response['write'];
  res.end = ((...args: unknown[]) => {
    if (streaming || res.headersSent) return end(...args);
    const chunk = typeof args[0] === 'function' ? undefined : args[0];
    const text = chunk === undefined || chunk === null ? '' : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    const type = res.getHeader('content-type') as string | undefined;
    let problem: string | undefined;
    try {
      const expected = expect(res.statusCode, type);
      problem = expected.problem;
      if (!problem && expected.json) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
          problem = `${where} ${res.statusCode} says application/json but its body is not JSON`;
        }
        const wrong = problem ? undefined : expected.check!(body);
        if (wrong) problem = `${where} ${res.statusCode}: ${wrong}`;
      }
    } catch (err) {
      problem = `${where} ${res.statusCode}: the validator failed: ${(err as Error).message}`;
    }
    if (!problem) return end(...args);
    fail(problem);
    const body = JSON.stringify({ error: { code: 'response_invalid', message: `the answer does not match the OpenAPI document: ${problem}` } });
    res.status(500).setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.removeHeader('ETag');
    return end(body);
  }) as Response['end'];
}
