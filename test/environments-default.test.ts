import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { ConfigError } from '../server/errors.js';
import { startTestServer } from './helpers/server.js';

// DEFAULT_ENVIRONMENT (issue 23): it must be an environment key, and name an existing, unarchived environment.

describe('DEFAULT_ENVIRONMENT', () => {
  it('is production unless set, and a value that is not an environment key stops the start with one line naming it', () => {
    expect(configFromEnv({}).defaultEnvironment).toBe('production');
    expect(configFromEnv({ DEFAULT_ENVIRONMENT: 'staging' }).defaultEnvironment).toBe('staging');
    expect(() => configFromEnv({ DEFAULT_ENVIRONMENT: 'Prod!' })).toThrow(ConfigError);
    expect(() => configFromEnv({ DEFAULT_ENVIRONMENT: 'Prod!' })).toThrow(/DEFAULT_ENVIRONMENT "Prod!" is not an environment key/);
  });

  it('naming an environment the database does not have refuses the start with one clear line', async () => {
    const start = startTestServer({ config: { defaultEnvironment: 'staging' } });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow('DEFAULT_ENVIRONMENT "staging" does not name an environment of this server (it must exist and not be archived)');
  });
});
