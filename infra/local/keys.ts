import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';

export interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * The Ed25519 pair the gateway signs principals with and services verify. Made once per
 * checkout for local runs; production injects its own (docs/operations.md).
 */
export async function localPrincipalKeys(directory: string): Promise<KeyPair> {
  const privatePath = join(directory, 'principal.key.pem');
  const publicPath = join(directory, 'principal.pub.pem');
  try {
    return { privateKeyPem: await readFile(privatePath, 'utf8'), publicKeyPem: await readFile(publicPath, 'utf8') };
  } catch {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const pair = { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(privatePath, pair.privateKeyPem, { mode: 0o600 });
    await writeFile(publicPath, pair.publicKeyPem);
    return pair;
  }
}

export interface OAuthSecrets {
  signingKeyPem: string;
  cookieKey: string;
}

/** identity's OAuth signing key and cookie secret, made once per checkout like the pair above. */
export async function localOAuthSecrets(directory: string): Promise<OAuthSecrets> {
  const keyPath = join(directory, 'oauth-signing.key.pem');
  const cookiePath = join(directory, 'oauth-cookie.key');
  try {
    return { signingKeyPem: await readFile(keyPath, 'utf8'), cookieKey: (await readFile(cookiePath, 'utf8')).trim() };
  } catch {
    const secrets = await freshOAuthSecrets();
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(keyPath, secrets.signingKeyPem, { mode: 0o600 });
    await writeFile(cookiePath, secrets.cookieKey, { mode: 0o600 });
    return secrets;
  }
}

async function freshOAuthSecrets(): Promise<OAuthSecrets> {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { signingKeyPem: await exportPKCS8(privateKey), cookieKey: randomBytes(32).toString('base64url') };
}

export interface SsoSecrets {
  /** SSO_SECRET_KEY: base64 of 32 bytes sealing OIDC client secrets. */
  secretKey: string;
  samlPrivateKeyPem: string;
  samlCertificatePem: string;
}

/** identity's SSO secret key and SAML service-provider key pair, made once per checkout like the keys above. */
export async function localSsoSecrets(directory: string): Promise<SsoSecrets> {
  const secretPath = join(directory, 'sso-secret.key');
  const keyPath = join(directory, 'saml-sp.key.pem');
  const certificatePath = join(directory, 'saml-sp.cert.pem');
  try {
    return {
      secretKey: (await readFile(secretPath, 'utf8')).trim(),
      samlPrivateKeyPem: await readFile(keyPath, 'utf8'),
      samlCertificatePem: await readFile(certificatePath, 'utf8'),
    };
  } catch {
    const secrets = freshSsoSecrets();
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(secretPath, secrets.secretKey, { mode: 0o600 });
    await writeFile(keyPath, secrets.samlPrivateKeyPem, { mode: 0o600 });
    await writeFile(certificatePath, secrets.samlCertificatePem);
    return secrets;
  }
}

/**
 * A fresh RSA key and a self-signed certificate valid for `days` (node has no X.509 writer: openssl
 * makes it). The SAML SP's pair, and every test IdP's.
 */
export function selfSignedKeyPair(commonName: string, days = 30): { privateKeyPem: string; certificatePem: string } {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', '-', '-days', String(days), '-sha256'];
  const pems = execFileSync('openssl', [...args, '-subj', `/CN=${commonName}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const block = (label: string) => {
    const found = pems.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----\\n`));
    if (!found) throw new Error(`openssl printed no ${label}`);
    return found[0];
  };
  return { privateKeyPem: block('PRIVATE KEY'), certificatePem: block('CERTIFICATE') };
}

/**
 * A sealing key, `kid:base64(32 bytes)`: MFA_ENCRYPTION_KEY (authenticator-app secrets, docs/mfa.md rotates it)
 * and WEBHOOK_ENCRYPTION_KEY (webhook signing secrets).
 */
export function freshMfaKey(): string {
  return `k${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
}

/** identity's MFA key (`mfa.key`) or audit's webhook key (`webhook.key`), made once per checkout like the keys above. */
export async function localMfaKey(directory: string, file = 'mfa.key'): Promise<string> {
  const path = join(directory, file);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const key = freshMfaKey();
    await mkdir(directory, { recursive: true });
    await writeFile(path, `${key}\n`, { mode: 0o600 });
    return key;
  }
}

/** A fresh SSO secret key and the SAML SP's key pair. */
export function freshSsoSecrets(): SsoSecrets {
  const sp = selfSignedKeyPair('Gatehouse SAML SP', 3650);
  return {
    secretKey: randomBytes(32).toString('base64'),
    samlPrivateKeyPem: sp.privateKeyPem,
    samlCertificatePem: sp.certificatePem,
  };
}

/** `pnpm keys`: prints fresh keys as .env lines (for docker compose or a secret store). */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const oneLine = (pem: string) => pem.trim().replace(/\n/g, '\\n');
  const oauth = await freshOAuthSecrets();
  console.log(`PRINCIPAL_PRIVATE_KEY="${oneLine(await exportPKCS8(privateKey))}"`);
  console.log(`PRINCIPAL_PUBLIC_KEY="${oneLine(await exportSPKI(publicKey))}"`);
  console.log(`OAUTH_SIGNING_KEYS="${oneLine(oauth.signingKeyPem)}"`);
  console.log(`OAUTH_COOKIE_KEYS="${oauth.cookieKey}"`);
  const sso = freshSsoSecrets();
  console.log(`SSO_SECRET_KEY="${sso.secretKey}"`);
  console.log(`SAML_SP_PRIVATE_KEY="${oneLine(sso.samlPrivateKeyPem)}"`);
  console.log(`SAML_SP_CERTIFICATE="${oneLine(sso.samlCertificatePem)}"`);
  console.log(`MFA_ENCRYPTION_KEY="${freshMfaKey()}"`);
  console.log(`WEBHOOK_ENCRYPTION_KEY="${freshMfaKey()}"`);
  // Letters and digits, starting with a letter: safe in a URL and in nats-server's `$VAR` expansion.
  const password = () => `p${randomBytes(24).toString('hex')}`;
  for (const user of ['IDENTITY', 'ORGANIZATION', 'PROJECT', 'AUDIT', 'BILLING', 'GATEWAY'])
    console.log(`NATS_${user}_PASSWORD=${password()}`);
  console.log(`REDIS_PASSWORD=${password()}`);
}
