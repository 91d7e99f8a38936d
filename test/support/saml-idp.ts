import { createVerify, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { selfSignedKeyPair } from '../../infra/local/keys.js';

/**
 * A SAML identity provider on loopback for the SSO tests, built from the `saml-idp` package's own
 * engine (samlp 8 + saml 4, signing with their xml-crypto 2): nothing of our service provider's
 * code (node-saml, xml-crypto 6) signs or reads what it sends. Hostile responses are made by editing
 * what it signed and, where the edit needs a valid signature, signing again with the same engine.
 */

const requireHere = createRequire(import.meta.url);
const fromSamlIdp = createRequire(requireHere.resolve('saml-idp'));
const fromSamlp = createRequire(fromSamlIdp.resolve('samlp'));
// biome-ignore lint/suspicious/noExplicitAny: CommonJS test libraries without types.
type Untyped = any;
const samlp: Untyped = fromSamlIdp('samlp');
const SimpleProfileMapper: Untyped = fromSamlIdp('./lib/simpleProfileMapper.js');
const { SignedXml }: Untyped = fromSamlp('xml-crypto');
const { DOMParser, XMLSerializer }: Untyped = fromSamlIdp('xmldom');
const xpath: Untyped = fromSamlp('xpath');

export const ALGORITHMS = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

export interface KeyPair {
  key: string;
  cert: string;
}

/** A fresh RSA key and self-signed certificate, by the openssl CLI. */
export function keyPair(commonName = 'Test IdP'): KeyPair {
  const pair = selfSignedKeyPair(commonName);
  return { key: pair.privateKeyPem, cert: pair.certificatePem };
}

/** The person the IdP signs in (saml-idp's profile shape; each group its own AttributeValue). */
export interface IdpUser {
  userName: string;
  nameIdFormat: string;
  firstName: string;
  lastName: string;
  displayName: string;
  email: string;
  groups: string[];
}

export function idpUser(email: string, groups: string[] = ['everyone']): IdpUser {
  return {
    userName: email,
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    firstName: 'Sam',
    lastName: 'Lee',
    displayName: 'Sam Lee',
    email,
    groups,
  };
}

/** What one answer is signed with and says; anything unset is what a correct IdP sends. */
export interface AnswerOptions {
  user: IdpUser;
  signingKey?: KeyPair;
  signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha1';
  digestAlgorithm?: 'sha256' | 'sha1';
  /** Negative: already expired when issued. */
  lifetimeInSeconds?: number;
  audience?: string;
  recipient?: string;
  inResponseTo?: string;
  /** What carries the signature: the assertion (the default, what we require) or only the response around it. */
  signed?: 'assertion' | 'response';
}

export interface PostedForm {
  action: string;
  SAMLResponse: string;
  RelayState: string;
}

const METADATA = [
  { id: 'firstName', multiValue: false },
  { id: 'lastName', multiValue: false },
  { id: 'displayName', multiValue: false },
  { id: 'email', multiValue: false },
  // Not saml-idp's multiValue (it splits one string on commas): the array goes as is, one
  // AttributeValue per group, so a group name may hold a comma as real IdPs' do.
  { id: 'groups', multiValue: false },
];

/** The auto-posting form an IdP page answers, as a browser would submit it. */
export function postedForm(html: string): PostedForm {
  const field = (name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1] ?? '';
  const action = html.match(/action="([^"]+)"/)?.[1] ?? '';
  return { action, SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState') };
}

export class SamlTestIdp {
  readonly keys = keyPair('Gatehouse Test IdP');
  readonly entityId = `https://idp-${randomBytes(4).toString('hex')}.example.test/saml`;
  url = '';
  /** Who signs in, and how, for the next AuthnRequest the server receives. */
  next: Omit<AnswerOptions, 'inResponseTo'> = { user: idpUser('nobody@example.test') };
  /** The AuthnRequests the server received, as samlp parsed them. */
  readonly requests: Array<{ id: string; acsUrl: string; issuer: string; signatureValid: boolean }> = [];
  private server: Server | null = null;

  constructor(private readonly spCertificate: () => string) {}

  get ssoUrl(): string {
    return `${this.url}/saml/sso`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** GET /saml/sso?SAMLRequest…: the HTTP-Redirect binding; answers saml-idp's auto-posting form. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname !== '/saml/sso') return void res.writeHead(404).end();
    const rawQuery = url.search.slice(1);
    const query = Object.fromEntries(url.searchParams);
    const parsed = await this.parseRequest(query);
    this.requests.push({ ...parsed, signatureValid: verifyRedirectSignature(rawQuery, this.spCertificate()) });
    const form = await this.answer(
      { ...this.next, inResponseTo: parsed.id, recipient: this.next.recipient ?? parsed.acsUrl },
      parsed.acsUrl,
      parsed.issuer,
    );
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<form method="post" action="${form.action}"><input type="hidden" name="SAMLResponse" value="${form.SAMLResponse}"/>` +
          `<input type="hidden" name="RelayState" value="${query.RelayState ?? ''}"/></form>`,
      );
  }

  private parseRequest(query: Record<string, string>): Promise<{ id: string; acsUrl: string; issuer: string }> {
    return new Promise((resolve, reject) => {
      samlp.parseRequest({ query, body: {}, method: 'GET' }, (error: unknown, data: Untyped) =>
        error ? reject(error) : resolve({ id: data.id, acsUrl: data.assertionConsumerServiceURL, issuer: data.issuer }),
      );
    });
  }

  /**
   * A SAML response as saml-idp makes it: samlp.auth with saml-idp's options (assertion signed,
   * response not), captured from its responseHandler. `acsUrl`/`audience` name the SP it is for.
   */
  answer(options: AnswerOptions, acsUrl: string, audience: string): Promise<PostedForm> {
    const signing = options.signingKey ?? this.keys;
    const recipient = options.recipient ?? acsUrl;
    return new Promise((resolve, reject) => {
      const auth = samlp.auth({
        issuer: this.entityId,
        cert: signing.cert,
        key: signing.key,
        audience: options.audience ?? audience,
        recipient,
        destination: acsUrl,
        inResponseTo: options.inResponseTo,
        digestAlgorithm: options.digestAlgorithm ?? 'sha256',
        signatureAlgorithm: options.signatureAlgorithm ?? 'rsa-sha256',
        signAssertion: options.signed !== 'response',
        signResponse: options.signed === 'response',
        lifetimeInSeconds: options.lifetimeInSeconds ?? 3600,
        includeAttributeNameFormat: true,
        profileMapper: SimpleProfileMapper.fromMetadata(METADATA),
        getUserFromRequest: () => options.user,
        getPostURL: (_audience: string, _dom: unknown, _req: unknown, callback: (e: null, url: string) => void) =>
          callback(null, acsUrl),
        responseHandler: (response: Buffer) =>
          resolve({ action: acsUrl, SAMLResponse: response.toString('base64'), RelayState: '' }),
      });
      auth({ method: 'POST', query: {}, body: {} }, {}, reject);
    });
  }

  /** An enveloped signature over the whole document (SP metadata), checked with the IdP's own xml-crypto. */
  verifySignature(xml: string, cert: string): boolean {
    const doc = parseXml(xml);
    const signatures = xpath.select(
      "/*/*[local-name(.)='Signature' and namespace-uri(.)='http://www.w3.org/2000/09/xmldsig#']",
      doc,
    );
    if (signatures.length !== 1) return false;
    const verifier = new SignedXml();
    verifier.keyInfoProvider = { getKey: () => Buffer.from(cert), getKeyInfo: () => '' };
    verifier.loadSignature(signatures[0]);
    const references = verifier.references as Array<{ uri: string }>;
    const rootId = doc.documentElement.getAttribute('ID');
    if (references.length !== 1 || !rootId || references[0]!.uri !== `#${rootId}`) return false;
    try {
      return verifier.checkSignature(xml) === true;
    } catch {
      return false;
    }
  }

  /** Signs the (edited) assertion of a response again with the IdP's engine, as a real IdP key holder could. */
  resignAssertion(responseXml: string, signing: KeyPair = this.keys): string {
    const doc = parseXml(responseXml);
    const assertion = firstElement(doc, 'Assertion');
    for (const signature of childElements(assertion, 'Signature')) assertion.removeChild(signature);
    const unsigned = serializeXml(doc);
    const signer = new SignedXml(null, { signatureAlgorithm: ALGORITHMS.rsaSha256 });
    signer.addReference(
      "//*[local-name(.)='Assertion']",
      ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      ALGORITHMS.sha256,
    );
    signer.signingKey = signing.key;
    const cert = signing.cert.replace(/-----[^-]+-----|\s/g, '');
    signer.keyInfoProvider = { getKeyInfo: () => `<X509Data><X509Certificate>${cert}</X509Certificate></X509Data>` };
    signer.computeSignature(unsigned, {
      location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
    });
    return signer.getSignedXml();
  }
}

/** The HTTP-Redirect binding's signature, checked over the query as it arrived (SAML bindings §3.4.4.1). */
function verifyRedirectSignature(rawQuery: string, spCertificate: string): boolean {
  const pairs = new Map(rawQuery.split('&').map((pair) => pair.split('=') as [string, string]));
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((name) => pairs.has(name))
    .map((name) => `${name}=${pairs.get(name)}`)
    .join('&');
  const signature = pairs.get('Signature');
  if (!signature || decodeURIComponent(pairs.get('SigAlg') ?? '') !== ALGORITHMS.rsaSha256) return false;
  return createVerify('RSA-SHA256').update(signed).verify(spCertificate, decodeURIComponent(signature), 'base64');
}

// A small DOM toolkit (saml-idp's xmldom) for editing responses.
export function parseXml(xml: string): Untyped {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

export function serializeXml(node: Untyped): string {
  return new XMLSerializer().serializeToString(node);
}

export function decodeResponse(samlResponse: string): string {
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}

export function encodeResponse(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

export function firstElement(node: Untyped, localName: string): Untyped {
  const found = node.getElementsByTagNameNS('*', localName)[0];
  if (!found) throw new Error(`no ${localName} element`);
  return found;
}

export function childElements(node: Untyped, localName: string): Untyped[] {
  return Array.from(node.childNodes as ArrayLike<Untyped>).filter(
    (child) => child.nodeType === 1 && child.localName === localName,
  );
}
