import type { MfaChallenge, MfaFactor } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { describe, expect, it } from 'vitest';
import { mfaPage, PASSKEY_SCRIPT_PATH } from '../src/oauth/pages.js';

/**
 * The OAuth login page's second-factor step as HTML: one form per factor the account holds, the
 * passkey choice (and its one script) only with a passkey, everything the server did not write itself
 * escaped — the passkey options included, which sit in an attribute.
 */

const ACTION = '/oauth2/interaction/abcdefghijklmnop/mfa';
const CHALLENGE_ID = `${'T'.repeat(16)}.${'s'.repeat(43)}`;

function challenge(factors: MfaFactor[], extra: Partial<Static<typeof MfaChallenge>> = {}) {
  return {
    mfaRequired: true as const,
    challengeId: CHALLENGE_ID,
    factors,
    expiresAt: '2026-12-02T00:05:00.000Z',
    attemptsLeft: 5,
    ...extra,
  };
}

/** What a browser reads back from an attribute the page escaped. */
function unescapeAttribute(value: string): string {
  return value.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
}

const formTypes = (html: string) => [...html.matchAll(/name="type" value="([a-z_]+)"/g)].map((match) => match[1]);

describe('mfaPage', () => {
  it.each([
    [['totp'], ['totp']],
    [
      ['totp', 'recovery_code'],
      ['totp', 'recovery_code'],
    ],
    [
      ['passkey', 'recovery_code'],
      ['passkey', 'recovery_code'],
    ],
    [
      ['totp', 'passkey', 'recovery_code'],
      ['passkey', 'totp', 'recovery_code'],
    ],
  ] as Array<[MfaFactor[], string[]]>)('with factors %j has the forms %j', (factors, forms) => {
    const options = factors.includes('passkey') ? { challenge: 'abc', allowCredentials: [] } : undefined;
    const html = mfaPage({
      action: ACTION,
      appName: 'Acme',
      challenge: challenge(factors, options ? { passkeyOptions: options } : {}),
    });
    expect(formTypes(html)).toEqual(forms);
    // Every form posts to this interaction's step with the challenge.
    const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]);
    expect(actions).toEqual(forms.map(() => ACTION));
    expect(html.split(`name="challengeId" value="${CHALLENGE_ID}"`).length - 1).toBe(forms.length);
    // The script only where a passkey can be used, and the choice hidden until the script shows it.
    expect(html.includes(`<script src="${PASSKEY_SCRIPT_PATH}" defer></script>`)).toBe(factors.includes('passkey'));
    if (factors.includes('passkey')) expect(html).toContain('<div id="passkey-choice" hidden>');
    expect(html).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/i);
  });

  it('shows no passkey choice and loads no script when the options are missing', () => {
    const html = mfaPage({ action: ACTION, appName: 'Acme', challenge: challenge(['passkey', 'recovery_code']) });
    expect(formTypes(html)).toEqual(['recovery_code']);
    expect(html).not.toContain('<script');
  });

  it('escapes the passkey options in their attribute, and a browser reads them back unchanged', () => {
    const hostile = {
      challenge: 'c"><script>alert(1)</script>',
      rpId: "it's & <that>",
      allowCredentials: [{ id: '"onmouseover="x', type: 'public-key' }],
    };
    const html = mfaPage({
      action: ACTION,
      appName: 'Acme',
      challenge: challenge(['passkey'], { passkeyOptions: hostile }),
    });
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script/g)).toHaveLength(1);
    const attribute = html.match(/data-options="([^"]*)"/)?.[1] ?? '';
    expect(JSON.parse(unescapeAttribute(attribute))).toEqual(hostile);
  });

  it('escapes the app name and the error, and says how many attempts are left', () => {
    const html = mfaPage({
      action: ACTION,
      appName: '<b>Evil</b> & Co',
      challenge: challenge(['totp'], { attemptsLeft: 1 }),
      error: 'Wrong <code>',
    });
    expect(html).toContain('&#60;b&#62;Evil&#60;/b&#62; &#38; Co');
    expect(html).toContain('<div class="notice notice-error" role="alert" id="form-error">Wrong &#60;code&#62;</div>');
    expect(html).toContain('aria-describedby="form-error"');
    expect(html).toContain('1 attempt left.');
    expect(mfaPage({ action: ACTION, appName: 'Acme', challenge: challenge(['totp']) })).toContain('5 attempts left.');
  });

  it('asks for the code the way browsers and password managers fill it', () => {
    const html = mfaPage({ action: ACTION, appName: 'Acme', challenge: challenge(['totp', 'recovery_code']) });
    expect(html).toContain('inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"');
    expect(html).toMatch(/id="recovery-code" name="code" type="text" autocomplete="off"/);
  });
});
