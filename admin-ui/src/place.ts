/**
 * Where the admin UI is: the page and the chosen environment, both in the URL's hash
 * (`#/env/staging/flags/reply-model`), so a link, a reload or the back button keeps the
 * environment. Without `/env/<key>` the UI works on the server's default environment through
 * the routes that predate environments (`/api/flags/...`).
 */
export interface Place {
  /** The environment chosen in the URL; null: the server's default one. */
  env: string | null;
  /** The page's path segments after the environment, decoded (`['flags', 'reply-model']`). */
  parts: string[];
}

export function parsePlace(hash: string): Place {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'env' && parts[1]) return { env: parts[1], parts: parts.slice(2) };
  return { env: null, parts };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The environment chosen in the current URL (null: the default one). */
export const currentEnv = (): string | null => parsePlace(location.hash).env;

/** A hash link to `path` (`/flags/x`) in `env` (default: the one chosen now). */
export function link(path: string, env: string | null = currentEnv()): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  return env ? `#/env/${encodeURIComponent(env)}${p}` : `#${p}`;
}

/** The same page in another environment. */
export function inEnv(hash: string, env: string): string {
  const { parts } = parsePlace(hash);
  return link('/' + (parts.length ? parts.map(encodeURIComponent).join('/') : 'flags'), env);
}

/** The flag actions and reads that have a copy per environment (`/api/envs/:env/flags/:key/...`). */
const PER_ENV = new Set(['plan', 'signoffs', 'advance', 'rollback', 'pause', 'resume', 'kill', 'restore', 'gates', 'propagation', 'usage', 'metrics']);

/**
 * The API path of a flag's `action` in `env`: the environment's own route when one is chosen and
 * the action is per environment, else the flag's route (shared fields, or the default environment).
 */
export function flagPath(key: string, action = '', env: string | null = currentEnv()): string {
  const k = encodeURIComponent(key);
  if (env && PER_ENV.has(action)) return `/api/envs/${encodeURIComponent(env)}/flags/${k}/${action}`;
  return action ? `/api/flags/${k}/${action}` : `/api/flags/${k}`;
}
