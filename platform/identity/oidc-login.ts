import * as oidc from 'openid-client';
import { DomainError } from '../../kernel/errors/index.ts';
import type { Principal } from './auth.ts';
import { principalFromClaims } from './claims-mapping.ts';
import type { IdentityProvider } from './identity-providers.ts';
import type { LoginSessions } from './login-sessions.ts';

/** A finished login: the session the browser now holds, who it is, and the page to go back to. */
export interface FinishedLogin {
  sessionId: string;
  expiresAt: Date;
  principal: Principal;
  provider: IdentityProvider;
  returnTo: string;
}

/**
 * People's sign-in through their tenant's identity provider: OpenID Connect authorization code with PKCE
 * (S256), `state` and `nonce`, through `openid-client`. The ID token's claims go through the provider's
 * mapping (groups → roles, allowed domains) and become a server-side session.
 */
export class OidcLogin {
  private readonly byName: Map<string, IdentityProvider>;
  private readonly configurations = new Map<string, Promise<oidc.Configuration>>();

  constructor(
    providers: readonly IdentityProvider[],
    private readonly sessions: LoginSessions,
    private readonly env: string,
    /** Records each login (the platform receipts it in the tenant's ledger) before the session is handed out. */
    private readonly recordLogin: (login: FinishedLogin, claims: Record<string, unknown>) => Promise<void> = async () => {},
    /** The provider with its claims mapping in force. */
    private readonly resolve: (provider: IdentityProvider) => Promise<IdentityProvider> = async (provider) => provider,
  ) {
    this.byName = new Map(providers.filter((provider) => provider.client_id).map((provider) => [provider.name, provider]));
  }

  /** The providers people can sign in with. */
  get providers(): IdentityProvider[] {
    return [...this.byName.values()];
  }

  /**
   * Where to send the browser to sign in with `name`; `callback` is this server's `/auth/callback` as the browser
   * reaches it. `authenticateAgain` asks the provider for the person's credentials even when it has a session.
   */
  async start(name: string, returnTo: string, callback: string, authenticateAgain = false): Promise<URL> {
    const provider = this.byName.get(name);
    if (!provider) throw new DomainError('LOGIN_PROVIDER_UNKNOWN', `There is no provider named "${name}"; see /auth/login.`);
    const configuration = await this.configuration(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = await this.sessions.beginAttempt({ tenant: provider.tenant, provider: provider.name, codeVerifier, nonce, returnTo: safeReturn(returnTo) });
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: callback,
      scope: 'openid email profile groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(authenticateAgain ? { prompt: 'login' } : {}),
    });
  }

  /** Completes the login the callback URL carries (the code, the state), once. */
  async finish(callbackUrl: URL): Promise<FinishedLogin> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const attempt = state ? await this.sessions.takeAttempt(state) : undefined;
    if (!attempt) throw new DomainError('LOGIN_STATE_UNKNOWN');
    const provider = this.byName.get(attempt.provider);
    if (!provider) throw new DomainError('LOGIN_STATE_UNKNOWN', 'Its identity provider is no longer configured.');
    const refused = callbackUrl.searchParams.get('error');
    if (refused) throw new DomainError('LOGIN_REFUSED', `${provider.name} answered ${refused}${describe(callbackUrl.searchParams.get('error_description'))}.`);
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(await this.configuration(provider), callbackUrl, {
        pkceCodeVerifier: attempt.codeVerifier, expectedState: state, expectedNonce: attempt.nonce, idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError('LOGIN_REFUSED', `${provider.name} did not complete it: ${(error as Error).message}.`);
    }
    if (!claims) throw new DomainError('LOGIN_REFUSED', `${provider.name} sent no ID token.`);
    const principal = principalFromClaims(await this.resolve(provider), claims, this.env);
    const session = await this.sessions.open(principal, provider.name);
    const login = { sessionId: session.id, expiresAt: session.expiresAt, principal, provider, returnTo: attempt.returnTo };
    try {
      await this.recordLogin(login, claims);
    } catch (error) {
      await this.sessions.end(session.id, 'unrecorded');
      throw error;
    }
    return login;
  }

  private configuration(provider: IdentityProvider): Promise<oidc.Configuration> {
    let configuration = this.configurations.get(provider.name);
    if (!configuration) {
      const secret = provider.client_secret_env ? process.env[provider.client_secret_env] : provider.client_secret;
      // Plain HTTP only to a provider on this machine (development, tests).
      const insecure = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(provider.issuer);
      configuration = oidc
        .discovery(new URL(provider.issuer), provider.client_id!, undefined, secret ? oidc.ClientSecretBasic(secret) : oidc.None(), {
          execute: insecure ? [oidc.allowInsecureRequests] : [],
          timeout: 5,
        })
        .catch((error: unknown) => {
          this.configurations.delete(provider.name);
          throw new DomainError('AUTH_PROVIDER_UNAVAILABLE', `${provider.name}'s discovery failed: ${(error as Error).message}.`);
        });
      this.configurations.set(provider.name, configuration);
    }
    return configuration;
  }
}

/** A page of this server to go back to: a path, never another origin (`//evil.example`, `https://…`). */
function safeReturn(returnTo: string): string {
  return /^\/(?![/\\])[^\s]*$/.test(returnTo) ? returnTo : '/reports';
}

function describe(text: string | null): string {
  return text ? ` (${text.slice(0, 200)})` : '';
}
