import type { IncomingMessage } from 'node:http';
import {
  AppError,
  type AuthenticatedPrincipal,
  type DirectoryPrincipal,
  PRINCIPAL_AUDIENCE,
  PRINCIPAL_HEADER,
  PRINCIPAL_ISSUER,
  type Principal,
  type PrincipalClaims,
  USER_AGENT_MAX_LENGTH,
} from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import type { HttpApp } from './http.js';

const ALG = 'EdDSA';
/** Long enough for one proxied request, short enough that a leaked token is useless. */
export const PRINCIPAL_TOKEN_TTL_SECONDS = 30;

export interface PrincipalSigner {
  sign(claims: PrincipalClaims): Promise<string>;
}

/** The key id is the RFC 7638 thumbprint of the public key, so signer and verifiers agree without config. */
async function keyId(key: CryptoKey): Promise<string> {
  const { kty, crv, x } = await exportJWK(key);
  return calculateJwkThumbprint({ kty: kty!, crv: crv!, x: x! });
}

export async function createPrincipalSigner(privateKeyPem: string): Promise<PrincipalSigner> {
  const key = await importPKCS8(privateKeyPem, ALG, { extractable: true });
  const kid = await keyId(key);
  return {
    sign: (claims) =>
      new SignJWT({
        principal: claims.principal,
        rid: claims.requestId,
        ip: claims.clientIp,
        ...(claims.userAgent && { ua: claims.userAgent.slice(0, USER_AGENT_MAX_LENGTH) }),
      })
        .setProtectedHeader({ alg: ALG, kid })
        .setIssuer(PRINCIPAL_ISSUER)
        .setAudience(PRINCIPAL_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${PRINCIPAL_TOKEN_TTL_SECONDS}s`)
        .sign(key),
  };
}

export interface PrincipalVerifier {
  verify(token: string): Promise<PrincipalClaims>;
}

const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g;

/**
 * Verifies with any of the configured public keys (one or more PEM blocks), chosen by the
 * token's `kid`. Several keys at once is what makes a signing-key rotation seamless.
 */
export async function createPrincipalVerifier(publicKeysPem: string): Promise<PrincipalVerifier> {
  const pems = publicKeysPem.match(PUBLIC_KEY_PEM) ?? [];
  if (pems.length === 0) throw new Error('PRINCIPAL_PUBLIC_KEY holds no PEM public key');
  const keys = new Map<string, CryptoKey>();
  for (const pem of pems) {
    const key = await importSPKI(pem, ALG, { extractable: true });
    keys.set(await keyId(key), key);
  }
  return {
    async verify(token) {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid ? keys.get(header.kid) : undefined;
          if (!key) throw new Error('unknown signing key');
          return key;
        },
        {
          algorithms: [ALG],
          issuer: PRINCIPAL_ISSUER,
          audience: PRINCIPAL_AUDIENCE,
          maxTokenAge: `${PRINCIPAL_TOKEN_TTL_SECONDS * 2}s`,
        },
      );
      return {
        principal: payload.principal as Principal,
        requestId: String(payload.rid ?? ''),
        clientIp: String(payload.ip ?? ''),
        ...(typeof payload.ua === 'string' && { userAgent: payload.ua }),
      };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    clientIp: string;
    /** The client's User-Agent as the gateway signed it (absent when it sent none). */
    userAgent: string | undefined;
  }
}

const UNGUARDED = new Set(['/livez', '/healthz', '/readyz', '/metrics']);

/** Principals verified by the guard, by raw request: for handlers outside fastify (Koa via middie). */
const verifiedPrincipals = new WeakMap<IncomingMessage, Principal>();

/** The principal the guard verified for this raw request, or null (unguarded path, or none). */
export function gatewayPrincipalOf(req: IncomingMessage): Principal | null {
  return verifiedPrincipals.get(req) ?? null;
}

/**
 * Services trust only the gateway: every request but the probes (and a service's published
 * documents, such as identity's JWKS) must carry a valid gateway-signed principal token,
 * even anonymous ones (sign-up), or it gets 401 here.
 */
export function requireGatewayPrincipal(
  app: HttpApp,
  verifier: PrincipalVerifier,
  publicPaths: readonly string[] = [],
): void {
  const unguarded = new Set([...UNGUARDED, ...publicPaths]);
  // fastify wants reference-type decorations initialised to null (the hook below sets every
  // request's); its decorator typing cannot express a union-typed property, hence the cast.
  app.decorateRequest('principal', null as never);
  app.decorateRequest('clientIp', '');
  app.decorateRequest('userAgent', undefined);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (unguarded.has(path)) return;
    const token = request.headers[PRINCIPAL_HEADER];
    if (typeof token !== 'string' || token.length === 0) {
      throw new AppError('AUTHENTICATION_REQUIRED', 'Requests must come through the gateway');
    }
    try {
      const claims = await verifier.verify(token);
      request.principal = claims.principal;
      request.clientIp = claims.clientIp;
      request.userAgent = claims.userAgent;
      verifiedPrincipals.set(request.raw, claims.principal);
    } catch {
      throw new AppError('AUTHENTICATION_REQUIRED', 'Requests must come through the gateway');
    }
  });
}

/** The authenticated caller, or 401 when the route was reached anonymously. */
export function requireUser(request: FastifyRequest): AuthenticatedPrincipal {
  const principal = request.principal;
  if (!principal || principal.kind === 'anonymous') {
    throw new AppError('AUTHENTICATION_REQUIRED', 'Sign in or send an API key');
  }
  // The gateway admits a SCIM token only on /scim/v2: anywhere else a person is expected.
  if (principal.kind === 'scim') throw new AppError('FORBIDDEN', 'A SCIM token can only call /scim/v2');
  return principal;
}

/** The person calling, or null for an anonymous request (routes that take either). */
export function optionalUser(request: FastifyRequest): AuthenticatedPrincipal | null {
  const principal = request.principal;
  return principal && principal.kind !== 'anonymous' && principal.kind !== 'scim' ? principal : null;
}

/** The directory calling /scim/v2 (a SCIM token), or 401. */
export function requireDirectory(request: FastifyRequest): DirectoryPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'scim') {
    throw new AppError('AUTHENTICATION_REQUIRED', 'Send the directory’s SCIM token as Authorization: Bearer');
  }
  return principal;
}
