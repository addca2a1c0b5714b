import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../config.js';
import { ConfigError } from '../errors.js';
import { claimValues, decideRole, parseRoleMap } from './oidc-roles.js';

// Issue 24: the role mapping is one pure function, and a bad sign-in configuration stops the start in one line.

const mapping = { claim: 'groups', map: { 'sy-admins': 'admin', product: 'pm', sre: 'oncall' } as const };

describe('the role mapping', () => {
  it('the highest role any claim value maps to wins, whatever the order of the values', () => {
    expect(decideRole(mapping, { groups: ['sre', 'product'] })).toEqual({ role: 'pm', matched: 'product', claim: 'groups', seen: ['sre', 'product'] });
    expect(decideRole(mapping, { groups: ['product', 'sre', 'sy-admins'] }).role).toBe('admin');
  });

  it('a user no rule maps gets the default role when there is one, and no role when there is none', () => {
    expect(decideRole({ ...mapping, defaultRole: 'viewer' }, { groups: ['everyone'] })).toMatchObject({ role: 'viewer', matched: '(default role)' });
    expect(decideRole(mapping, { groups: ['everyone'] })).toEqual({ role: null, matched: null, claim: 'groups', seen: ['everyone'] });
    expect(decideRole(mapping, {})).toMatchObject({ role: null, seen: [] });
  });

  it('reads nested claim paths, a single string, and group objects by id or name', () => {
    expect(decideRole({ ...mapping, claim: 'realm_access.roles' }, { realm_access: { roles: ['sre'] } }).role).toBe('oncall');
    expect(decideRole(mapping, { groups: 'product' }).role).toBe('pm');
    expect(claimValues([{ id: 'g-1', name: 'product' }, 7, null, ['nested']])).toEqual(['g-1', 'product', '7']);
    expect(decideRole({ ...mapping, claim: 'https://acme.com/groups' }, { 'https://acme.com/groups': ['sy-admins'] }).role).toBe('admin');
  });

  it('a claim value named like an Object property maps to nothing', () => {
    expect(decideRole(mapping, { groups: ['constructor', '__proto__', 'toString'] }).role).toBeNull();
  });
});

describe('sign-in configuration', () => {
  const base = { OIDC_ISSUER: 'https://login.acme.com', OIDC_CLIENT_ID: 'switchyard', PUBLIC_URL: 'https://flags.acme.com', OIDC_ROLE_MAP: '{"product":"pm"}' };

  it('a complete configuration is read, and OIDC_ROLE_MAP may name a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-map-'));
    const file = path.join(dir, 'map.json');
    fs.writeFileSync(file, '{"sy-admins":"admin"}');
    const c = configFromEnv({ ...base, OIDC_ROLE_MAP: `@${file}`, SESSION_TTL: '8h' });
    expect(c).toMatchObject({ oidcIssuer: 'https://login.acme.com', oidcRoleMap: { 'sy-admins': 'admin' }, oidcScopes: 'openid profile email', oidcRoleClaim: 'groups', sessionTtlSeconds: 8 * 3600, sessionIdleTimeoutSeconds: 7200 });
    fs.rmSync(dir, { recursive: true });
  });

  it.each([
    [{ OIDC_CLIENT_ID: '' }, /^OIDC_ISSUER is set but OIDC_CLIENT_ID is not/],
    [{ PUBLIC_URL: '' }, /^OIDC_ISSUER needs PUBLIC_URL/],
    [{ OIDC_ROLE_MAP: '' }, /^OIDC_ISSUER is set but neither OIDC_ROLE_MAP nor OIDC_DEFAULT_ROLE is/],
    [{ OIDC_ROLE_MAP: '{"product":"boss"}' }, /^OIDC_ROLE_MAP maps "product" to "boss", not a role/],
    [{ OIDC_ROLE_MAP: 'product=pm' }, /^OIDC_ROLE_MAP must be a JSON object/],
    [{ OIDC_ROLE_MAP: '@/nonexistent/map.json' }, /^OIDC_ROLE_MAP names \/nonexistent\/map.json, which cannot be read/],
    [{ OIDC_ISSUER: 'http://login.acme.com' }, /^OIDC_ISSUER must be an https URL/],
    [{ OIDC_SCOPES: 'profile email' }, /^OIDC_SCOPES must include openid/],
    [{ OIDC_DEFAULT_ROLE: 'owner' }, /^OIDC_DEFAULT_ROLE must be one of admin, pm/],
    [{ SESSION_IDLE_TIMEOUT: 'soon' }, /^SESSION_IDLE_TIMEOUT must be a duration/],
  ])('%o stops the start with one line naming the variable', (change, message) => {
    const run = () => configFromEnv({ ...base, ...change });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('rejects a role map with a bad entry whatever its size', () => {
    expect(() => parseRoleMap('[]')).toThrow(/JSON object/);
    expect(() => parseRoleMap('{"":"pm"}')).toThrow(/1 to 500 characters/);
  });
});
