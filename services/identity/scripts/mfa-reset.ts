/**
 * `pnpm --filter @gatehouse/identity mfa:reset <email>`: for a person who lost every factor and every
 * recovery code, once the operator has confirmed who they are. Removes the account's second factors and
 * ends every credential (sessions, keys, grants, app secrets, links); the owner is mailed.
 */
import { withOperatorContext } from '../src/build-context.js';
import { resetFactorsOf } from '../src/mfa/operator.js';

const email = process.argv[2]?.trim();
if (!email || process.argv.length > 3) {
  console.error('usage: mfa:reset <email>');
  process.exit(2);
}
await withOperatorContext('mfa-reset', async (ctx) => {
  const reset = await resetFactorsOf(ctx, email);
  if (reset) {
    console.log(`second factors and every credential of ${email} (user ${reset.userId}) removed; the owner is mailed`);
  } else {
    console.error(`no account with the address ${email}`);
    process.exitCode = 1;
  }
});
