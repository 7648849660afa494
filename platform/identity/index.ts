export { DEFAULT_ENV, DEFAULT_REGION, TokenAuthority, type Principal } from './auth.ts';
export { DEFAULT_MAX_TOKEN_TTL_SECONDS, durationSeconds, formatDuration } from './token-lifetime.ts';
export { ROLES, type Role, type TokenRequest } from './auth.ts';
export { ACCESS_GRANT_TABLES, AccessGrants, type AccessGrant } from './access-grants.ts';
export { JWT_SECRET_FILE, TokenKeyFile, type TokenRotation } from './token-key-file.ts';
export { RotatingSecret, secretId, type SecretRotation } from './rotating-secret.ts';
export { checkIdentityProviders, loadIdentityProviders, type IdentityProvider } from './identity-providers.ts';
export { ProviderTokens, type ProviderTokenOptions } from './provider-tokens.ts';
export { BearerTokens } from './bearer-tokens.ts';
