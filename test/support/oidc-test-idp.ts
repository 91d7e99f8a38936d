import type { IncomingMessage } from 'node:http';
import { type MutableRedirectUri, type MutableToken, OAuth2Server } from 'oauth2-mock-server';

/**
 * oauth2-mock-server as an OpenID provider that signs in whoever the authorization request's
 * `login_hint` names (identity sends the typed email there): many people may sign in at once, each
 * getting their own ID token, which one shared claims object cannot do. Its authorization endpoint
 * has no login page: it redirects straight back with a code.
 */
export class OidcTestIdp {
  readonly server = new OAuth2Server();
  /** Claims per authorization code, from the authorize redirect to the token request. */
  private readonly claimsByCode = new Map<string, Record<string, unknown>>();

  get issuer(): string {
    return this.server.issuer.url as string;
  }

  async start(): Promise<void> {
    await this.server.issuer.keys.generate('RS256');
    await this.server.start(0, '127.0.0.1');
    this.server.service.on('beforeAuthorizeRedirect', (redirect: MutableRedirectUri, req: IncomingMessage) => {
      const email = new URL(req.url ?? '/', 'http://idp').searchParams.get('login_hint');
      const code = redirect.url.searchParams.get('code');
      if (email && code) this.claimsByCode.set(code, personClaims(email));
    });
    this.server.service.on('beforeTokenSigning', (token: MutableToken, req: IncomingMessage & { body?: unknown }) => {
      const code = (req.body as Record<string, unknown> | undefined)?.code;
      const claims = typeof code === 'string' ? this.claimsByCode.get(code) : undefined;
      if (claims) Object.assign(token.payload, claims);
      // The ID token (the one with a nonce) is the last token made for a code.
      if (typeof code === 'string' && 'nonce' in token.payload) this.claimsByCode.delete(code);
    });
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

/** A stable subject per address, so the same person signs in again as the same linked account. */
function personClaims(email: string): Record<string, unknown> {
  return { sub: `sub-${email}`, email, email_verified: true, name: email.split('@')[0] };
}
