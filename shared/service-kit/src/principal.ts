import {
  AppError,
  type AuthenticatedPrincipal,
  PRINCIPAL_AUDIENCE,
  PRINCIPAL_HEADER,
  PRINCIPAL_ISSUER,
  type Principal,
  type PrincipalClaims,
} from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';
import { type CryptoKey, importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import type { HttpApp } from './http.js';

const ALG = 'EdDSA';
/** Long enough for one proxied request, short enough that a leaked token is useless. */
export const PRINCIPAL_TOKEN_TTL_SECONDS = 30;

export interface PrincipalSigner {
  sign(claims: PrincipalClaims): Promise<string>;
}

export async function createPrincipalSigner(privateKeyPem: string): Promise<PrincipalSigner> {
  const key = await importPKCS8(privateKeyPem, ALG);
  return {
    sign: (claims) =>
      new SignJWT({ principal: claims.principal, rid: claims.requestId, ip: claims.clientIp })
        .setProtectedHeader({ alg: ALG })
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

export async function createPrincipalVerifier(publicKeyPem: string): Promise<PrincipalVerifier> {
  const key: CryptoKey = await importSPKI(publicKeyPem, ALG);
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: PRINCIPAL_ISSUER,
        audience: PRINCIPAL_AUDIENCE,
        maxTokenAge: `${PRINCIPAL_TOKEN_TTL_SECONDS * 2}s`,
      });
      return {
        principal: payload.principal as Principal,
        requestId: String(payload.rid ?? ''),
        clientIp: String(payload.ip ?? ''),
      };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    clientIp: string;
  }
}

const UNGUARDED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Services trust only the gateway: every request but the probes must carry a valid
 * gateway-signed principal token, even anonymous ones (sign-up), or it gets 401 here.
 */
export function requireGatewayPrincipal(app: HttpApp, verifier: PrincipalVerifier): void {
  app.decorateRequest('principal', null as never);
  app.decorateRequest('clientIp', '');
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (UNGUARDED.has(path)) return;
    const token = request.headers[PRINCIPAL_HEADER];
    if (typeof token !== 'string' || token.length === 0) {
      throw new AppError('AUTHENTICATION_REQUIRED', 'Requests must come through the gateway');
    }
    try {
      const claims = await verifier.verify(token);
      request.principal = claims.principal;
      request.clientIp = claims.clientIp;
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
  return principal;
}
