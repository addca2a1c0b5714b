// oidc-provider (a dev dependency, the real OpenID provider the sign-in tests run against) ships no types.
declare module 'oidc-provider';
