import type { IdentityContext } from '../../context.js';
import type { SsoConnection, SsoLoginRequest } from '../entities.js';
import { loadLiveConnection } from '../live-connection.js';
import { ssoRefused } from '../refusal.js';
import { DEFAULT_RETURN_TO } from '../return-to.js';
import { type IdpProfile, readLoginRequest, spendLoginRequest } from '../sign-in.js';
import { usableCertificates } from './certificates.js';
import { idpProfileOf } from './profile.js';
import { acceptAssertionOnce } from './replay.js';
import { checkResponseShape } from './response-checks.js';
import { serviceProviderUrls } from './service-provider.js';
import { checkSignedAssertion } from './signed-assertion.js';
import { verifyWithNodeSaml } from './verify.js';

export interface AcceptedSamlResponse {
  connection: SsoConnection;
  profile: IdpProfile;
  returnTo: string;
}

function decodeResponse(samlResponse: string): string {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (!xml.trimStart().startsWith('<')) throw ssoRefused('SAML_RESPONSE_INVALID', 'The SAMLResponse is not base64 XML');
  return xml;
}

/**
 * The request this response answers. One that names a request must come back to the browser that
 * started it (its state cookie names the stored request; read here, spent only once the response is
 * verified); one that names none is IdP-initiated, accepted only where the connection allows it.
 */
async function startedRequest(
  ctx: IdentityContext,
  connection: SsoConnection,
  inResponseTo: string | null,
  stateFromCookie: string | undefined,
): Promise<{ request: SsoLoginRequest | null; requestId: string | null; returnTo: string }> {
  if (inResponseTo === null) {
    if (!connection.allowIdpInitiated) {
      throw ssoRefused('SAML_IDP_INITIATED_NOT_ALLOWED', 'Sign-in must start from this site for this connection');
    }
    // Its RelayState is not ours to trust as a redirect: it lands where a sign-in without returnTo does.
    return { request: null, requestId: null, returnTo: DEFAULT_RETURN_TO };
  }
  const request = await readLoginRequest(ctx, stateFromCookie ?? '', connection.id);
  if (!request.samlRequestId) throw ssoRefused('SSO_STATE_INVALID', 'This sign-in was not started in this browser');
  return { request, requestId: request.samlRequestId, returnTo: request.returnTo };
}

/**
 * A SAMLResponse posted to a connection's ACS, verified end to end; nothing of it is trusted before.
 * The browser's started sign-in is spent only after that, so a forged post cannot cancel it.
 */
export async function acceptSamlResponse(
  ctx: IdentityContext,
  connectionId: string,
  samlResponse: string,
  stateFromCookie: string | undefined,
): Promise<AcceptedSamlResponse> {
  const connection = await loadLiveConnection(ctx, connectionId);
  if (connection.type !== 'saml') throw ssoRefused('SSO_CONNECTION_DISABLED', 'This is not a SAML connection');
  const sp = serviceProviderUrls(ctx, connection.id);
  const xml = decodeResponse(samlResponse);
  const shape = await checkResponseShape(xml, sp.acsUrl);
  const started = await startedRequest(ctx, connection, shape.inResponseTo, stateFromCookie);
  const expected = {
    acsUrl: sp.acsUrl,
    idpEntityId: connection.samlIdpEntityId,
    expectedRequestId: started.requestId,
  };
  const verified = await verifyWithNodeSaml({
    ...expected,
    xml,
    entityId: sp.entityId,
    idpCertificates: usableCertificates(connection),
  });
  const signedXml = verified.getAssertionXml?.();
  if (!signedXml) throw ssoRefused('SAML_SIGNATURE_INVALID', 'No signed assertion');
  const facts = await checkSignedAssertion(signedXml, expected);
  const profile = idpProfileOf(verified);
  await acceptAssertionOnce(ctx, connection.id, facts.assertionId, facts.acceptableUntil);
  if (started.request) await spendLoginRequest(ctx, started.request);
  return { connection, profile, returnTo: started.returnTo };
}
