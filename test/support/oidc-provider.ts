import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider, { errors, type ClientMetadata } from 'oidc-provider';

/** An RS256 key of the test provider: its private JWK (what the provider signs with) and the key itself. */
export interface ProviderKey {
  kid: string;
  jwk: JWK;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
}

export async function providerKey(kid: string): Promise<ProviderKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }, privateKey };
}

export interface LocalProvider {
  issuer: string;
  /** An access token (JWT) for a client-credentials client, for `audience` (one of the provider's resources). */
  clientToken(clientId: string, secret: string, audience: string): Promise<string>;
  /** A token with exactly these claims, signed with `key` as the provider would (for shapes its flows do not make). */
  sign(claims: JWTPayload, key: ProviderKey): Promise<string>;
  /** From now on publish and sign with `keys` only (a key rotation: what is not listed is rotated out). */
  rotate(keys: ProviderKey[]): void;
  stop(): Promise<void>;
}

export interface ProviderSetup {
  keys: ProviderKey[];
  /** Client-credentials clients: id → secret. */
  clients: Record<string, string>;
  /** The resource servers (audiences) it issues JWT access tokens for. */
  audiences: string[];
  /** Web clients people sign in through (authorization code + PKCE). */
  webClients?: { clientId: string; secret: string; redirectUri: string }[];
  /** People: the login typed on its (development) sign-in form → their claims (any password is taken). */
  people?: Record<string, Record<string, unknown>>;
}

/** `oidc-provider` (panva's certified OpenID provider) on loopback, as a tenant's identity provider. */
export async function startOidcProvider(setup: ProviderSetup): Promise<LocalProvider> {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.writeHead(503).end();
  const server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: ClientMetadata[] = [
    ...Object.entries(setup.clients).map(([client_id, client_secret]) => ({
      client_id, client_secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
    }) satisfies ClientMetadata),
    ...(setup.webClients ?? []).map((client) => ({
      client_id: client.clientId, client_secret: client.secret, grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [client.redirectUri], response_types: ['code'],
    }) satisfies ClientMetadata),
  ];
  const people = setup.people ?? {};
  const provide = (keys: ProviderKey[]) => {
    const provider = new Provider(issuer, {
      clients,
      jwks: { keys: keys.map((key) => key.jwk) },
      ttl: { ClientCredentials: 600, AccessToken: 600, IdToken: 600, Grant: 3600, Interaction: 600, Session: 3600 },
      // The sign-in form of the provider's development interactions: any login it knows, any password.
      findAccount: (_ctx, id) => (people[id] ? { accountId: id, claims: () => ({ sub: id, ...people[id] }) } : undefined),
      claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
      // The ID token carries the person's claims (groups, email), as the platform's mapping reads them there.
      conformIdTokenClaims: false,
      features: {
        devInteractions: { enabled: setup.webClients !== undefined },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => setup.audiences[0]!,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => {
            if (!setup.audiences.includes(resource)) throw new errors.InvalidTarget();
            return { scope: 'api', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
    });
    handler = provider.callback();
  };
  provide(setup.keys);
  return {
    issuer,
    async clientToken(clientId, secret, audience) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: audience }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`the provider refused a token: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    sign: (claims, key) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey),
    rotate: provide,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
