import { Type } from 'typebox';
import { Ulid } from '../common.js';
import { defineRoutes } from '../contract.js';

/**
 * SAML 2.0 service provider endpoints of an enterprise SSO connection: what an IdP administrator
 * enters (the metadata URL, which is also our entity id) and where the IdP posts its answer.
 * Browser flows: failures are the error envelope (403 FORBIDDEN, `meta.reason` names the check).
 */

const tag = 'SSO';
const ConnectionParams = Type.Object({ connectionId: Ulid });

export const SSO_SAML_ROUTES = defineRoutes({
  getSamlServiceProviderMetadata: {
    method: 'GET',
    path: '/api/auth/sso/saml/:connectionId/metadata',
    upstream: 'identity',
    summary: 'The SAML service provider metadata of an SSO connection',
    description:
      'Signed (RSA-SHA256) with our SP key. Its URL is the entity id the IdP must use as Audience; it names the ' +
      'ACS (HTTP-POST binding), the certificate our AuthnRequests are signed with, and WantAssertionsSigned.',
    tag,
    auth: 'none',
    params: ConnectionParams,
    response: { status: 200, contentType: 'application/samlmetadata+xml' },
  },
  consumeSamlAssertion: {
    method: 'POST',
    path: '/api/auth/sso/saml/:connectionId/acs',
    upstream: 'identity',
    summary: 'The assertion consumer service: the IdP posts its SAML response here',
    description:
      'The assertion must be signed (SHA-256 or stronger) by one of the connection’s certificates, meant for ' +
      'this connection (Audience, Recipient, Destination), within its validity (60 s clock skew, 10 min after ' +
      'issue at most), and answer the AuthnRequest this browser started (its SSO state cookie); each assertion ' +
      'is accepted once. IdP-initiated responses (no InResponseTo) only where the connection allows them; they ' +
      'land on `/`. On success: 303 to the sign-in’s returnTo with the session cookie set.',
    tag,
    auth: 'none',
    limit: 'ssoFinish',
    // The IdP's page posts the form from its own origin; the signed assertion and the state
    // cookie (bound to the AuthnRequest by InResponseTo) are what authenticate the post.
    crossSitePosts: true,
    params: ConnectionParams,
    bodyContentType: 'application/x-www-form-urlencoded',
    body: Type.Object(
      {
        SAMLResponse: Type.String({ minLength: 1, maxLength: 400_000, description: 'Base64 of the SAML Response XML' }),
        RelayState: Type.Optional(
          Type.String({ maxLength: 1024, description: 'Not used: the state cookie names the sign-in' }),
        ),
      },
      { additionalProperties: true },
    ),
    response: {
      status: 303,
      headers: { location: 'The returnTo the sign-in started with', 'set-cookie': 'The session cookie' },
    },
    errors: ['FORBIDDEN'],
  },
});
