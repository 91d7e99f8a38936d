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

/** `pnpm keys`: prints a fresh pair as .env lines (for docker compose). */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const oneLine = (pem: string) => pem.trim().replace(/\n/g, '\\n');
  console.log(`PRINCIPAL_PRIVATE_KEY="${oneLine(await exportPKCS8(privateKey))}"`);
  console.log(`PRINCIPAL_PUBLIC_KEY="${oneLine(await exportSPKI(publicKey))}"`);
}
