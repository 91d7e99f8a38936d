/**
 * `pnpm --filter @gatehouse/identity mfa:reseal`: after putting a new key first in MFA_ENCRYPTION_KEY
 * (`new:…,old:…`), seals every authenticator secret with it; then the old key can go (docs/mfa.md).
 * Reads the same environment as the identity service.
 */
import { withOperatorContext } from '../src/build-context.js';
import { resealTotpSecrets } from '../src/mfa/operator.js';

await withOperatorContext('mfa-reseal', async (ctx) => {
  const report = await resealTotpSecrets(ctx);
  console.log(`scanned ${report.scanned}, re-sealed ${report.resealed}`);
  if (report.unopenable.length > 0) {
    console.error(
      `${report.unopenable.length} secret(s) open with no configured key (users ${report.unopenable.join(', ')}): keep the old key listed, or reset those accounts with mfa:reset`,
    );
    process.exitCode = 1;
  }
});
