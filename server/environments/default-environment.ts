/** DEFAULT_ENVIRONMENT unless set: the environment a fresh install has and every unscoped route acts in. */
export const FALLBACK_ENVIRONMENT = 'production';

/** What a service knows of environments: the default one (config DEFAULT_ENVIRONMENT). */
export interface EnvDeps {
  defaultEnvironment?: string;
}

/** The environment a service call acts in: the one given, else the server's default. */
export function envOr(deps: EnvDeps, env: string | undefined): string {
  return env ?? deps.defaultEnvironment ?? FALLBACK_ENVIRONMENT;
}
