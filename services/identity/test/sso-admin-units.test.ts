import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedKeyPair } from '../../../infra/local/keys.js';
import { idpUrlProblem } from '../src/sso/connection-input.js';
import { normalizeDomain } from '../src/sso/domains.js';
import { InputProblem, parseIdpMetadata, pemOf, readCertificate } from '../src/sso/metadata-input.js';
import { openSecret, sealSecret } from '../src/sso/secrets.js';

const key = randomBytes(32).toString('base64');

/** A self-signed certificate valid for `days` (openssl, independent of our parser). */
const certificate = (days: number, name = 'Unit IdP') => selfSignedKeyPair(name, days).certificatePem;
const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

describe('sealed secrets (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV each time', () => {
    const first = sealSecret(key, 'the client secret ✓');
    const second = sealSecret(key, 'the client secret ✓');
    expect(first).not.toBe(second);
    expect(first).not.toContain('client secret');
    expect(openSecret(key, first)).toBe('the client secret ✓');
    expect(openSecret(Buffer.from(key, 'base64'), second)).toBe('the client secret ✓');
  });

  it('refuses another key, an altered value and a malformed one', () => {
    const sealed = sealSecret(key, 'secret');
    expect(() => openSecret(randomBytes(32), sealed)).toThrow();
    const [version, iv, tag, ciphertext] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0]! ^= 1;
    expect(() => openSecret(key, [version, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => openSecret(key, `v2.${iv}.${tag}.${ciphertext}`)).toThrow('not a sealed secret');
    expect(() => openSecret(key, 'plain')).toThrow('not a sealed secret');
    expect(() => sealSecret(randomBytes(16), 'x')).toThrow('32 bytes');
  });
});

describe('IdP metadata', () => {
  const signing = certificate(365);
  const metadata = (inner: string, entity = 'entityID="https://idp.example/entity"') => `<?xml version="1.0"?>
    <EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <EntityDescriptor ${entity}><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${inner}</IDPSSODescriptor></EntityDescriptor>
    </EntitiesDescriptor>`;
  const key = (pem: string, use?: string) =>
    `<KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`;
  const redirect =
    '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>';

  it('reads entity id, redirect SSO URL and signing keys, by namespace not by prefix', () => {
    const other = certificate(30);
    const parsed = parseIdpMetadata(
      metadata(key(signing, 'signing') + key(certificate(10), 'encryption') + key(other) + redirect),
    );
    expect(parsed).toEqual({
      entityId: 'https://idp.example/entity',
      ssoUrl: 'https://idp.example/sso',
      certificates: [pemOf(signing), pemOf(other)],
    });
  });

  it('refuses what is not usable metadata, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['<EntityDescriptor', /well-formed/],
      ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', /DOCTYPE/],
      [
        '<EntityDescriptor xmlns="urn:other" entityID="x"><IDPSSODescriptor/></EntityDescriptor>',
        /no EntityDescriptor/,
      ],
      [metadata(key(signing) + redirect, ''), /without entityID/],
      [metadata(key(signing)), /no SingleSignOnService/],
      [metadata(key(signing, 'encryption') + redirect), /no signing certificate/],
    ];
    for (const [xml, problem] of cases) {
      expect(() => parseIdpMetadata(xml), xml).toThrow(InputProblem);
      expect(() => parseIdpMetadata(xml), xml).toThrow(problem);
    }
  });

  it('reads certificates as PEM or bare base64, with their expiry', () => {
    const facts = readCertificate(body(signing));
    expect(facts.pem).toBe(pemOf(signing));
    expect(facts.subject).toBe('CN=Unit IdP');
    expect(facts.notAfter.getTime() - Date.now()).toBeGreaterThan(364 * 24 * 3600 * 1000);
    expect(facts.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(() => readCertificate('not a certificate')).toThrow(InputProblem);
  });
});

describe('connection input', () => {
  it('normalises domains and refuses what is not one', () => {
    expect(normalizeDomain(' Example.COM. ')).toBe('example.com');
    expect(normalizeDomain('bücher.example')).toBe('xn--bcher-kva.example');
    for (const bad of ['localhost', '1.2.3.4', 'a..b', '-a.example', 'a b.example', `${'x'.repeat(64)}.example`, '']) {
      expect(normalizeDomain(bad), bad).toBeNull();
    }
  });

  it('takes https IdP URLs, http only on loopback', () => {
    expect(idpUrlProblem('https://idp.example/sso')).toBeNull();
    expect(idpUrlProblem('http://127.0.0.1:8000/sso')).toBeNull();
    expect(idpUrlProblem('http://localhost/sso')).toBeNull();
    expect(idpUrlProblem('http://idp.example/sso')).toMatch(/https/);
    expect(idpUrlProblem('javascript:alert(1)')).toMatch(/https/);
    expect(idpUrlProblem('https://user:pw@idp.example')).toMatch(/credentials/);
    expect(idpUrlProblem('idp.example')).toMatch(/absolute/);
  });
});
