import {
  isTokenScope,
  type MfaChallenge,
  type MfaFactor,
  OIDC_SCOPE_DESCRIPTIONS,
  SCOPE_DESCRIPTIONS,
} from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { escapeHtml } from '../html.js';

/**
 * The authorization server's pages: plain server-rendered HTML, nothing from another origin (their
 * only assets are the console's stylesheet and, on the second-factor page with a passkey, one
 * console script, both on this origin) and no inline script or style, so they work with JavaScript
 * off and leak nothing to third parties.
 */

/** The one script these pages load: the passkey button of the second-factor page. */
export const PASSKEY_SCRIPT_PATH = '/scripts/oauth-passkey.js';

export function describeScope(scope: string): string {
  if (isTokenScope(scope)) return SCOPE_DESCRIPTIONS[scope];
  return OIDC_SCOPE_DESCRIPTIONS[scope as keyof typeof OIDC_SCOPE_DESCRIPTIONS] ?? scope;
}

/** The console's logo, inline so the page needs no image request (and says nothing to a screen reader). */
const LOGO =
  '<svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="7" fill="#3b4fd8"/><path d="M9 25V13l7-5 7 5v12h-5v-7h-4v7z" fill="#fff"/></svg>';

/**
 * One look with the console: its stylesheet, served on this same origin by the gateway, and its
 * public-page markup (a centred card). Without the stylesheet the page is still plain, readable HTML.
 */
function layout(title: string, body: string, scripts: readonly string[] = []): string {
  const scriptTags = scripts.map((src) => `\n<script src="${escapeHtml(src)}" defer></script>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)} · Gatehouse</title>
<link rel="stylesheet" href="/styles/gatehouse.css">${scriptTags}
</head>
<body>
<div class="public">
<header class="public-brand"><span class="brand">${LOGO} Gatehouse</span></header>
<main id="main" class="card">
${body}
</main>
</div>
</body>
</html>`;
}

function heading(text: string): string {
  return `<header class="page-header"><h1>${text}</h1></header>`;
}

export function loginPage(input: { action: string; appName: string; email?: string; error?: string }): string {
  const error = input.error
    ? `<div class="notice notice-error" role="alert" id="form-error">${escapeHtml(input.error)}</div>\n`
    : '';
  const describedBy = input.error ? ' aria-describedby="form-error"' : '';
  return layout(
    'Sign in',
    `${heading(`Sign in to continue to ${escapeHtml(input.appName)}`)}
${error}<form method="post" action="${escapeHtml(input.action)}"${describedBy}>
<div class="field">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(input.email ?? '')}"${input.email ? '' : ' autofocus'}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${input.email ? ' autofocus' : ''}>
</div>
<div class="actions"><button class="button button-primary" type="submit">Sign in</button></div>
</form>`,
  );
}

/** A form of the second-factor page: the challenge and which factor answers it ride along hidden. */
function factorForm(action: string, challengeId: string, type: MfaFactor, inner: string, id?: string): string {
  return `<form method="post" action="${escapeHtml(action)}"${id ? ` id="${id}"` : ''}>
<input type="hidden" name="challengeId" value="${escapeHtml(challengeId)}">
<input type="hidden" name="type" value="${type}">
${inner}
</form>`;
}

/**
 * The step after the password when the account has a second factor. Each factor the account holds
 * gets its own form (the page works without JavaScript); the passkey button needs the script, which
 * reveals it only where the browser can use passkeys, and reads its options from `data-options`.
 */
export function mfaPage(input: {
  action: string;
  appName: string;
  challenge: Static<typeof MfaChallenge>;
  error?: string;
}): string {
  const { challenge, action } = input;
  const has = (factor: MfaFactor) => challenge.factors.includes(factor);
  const error = input.error
    ? `<div class="notice notice-error" role="alert" id="form-error">${escapeHtml(input.error)}</div>\n`
    : '';
  const describedBy = input.error ? ' aria-describedby="form-error"' : '';
  const codeForms: string[] = [];
  if (has('totp')) {
    codeForms.push(
      factorForm(
        action,
        challenge.challengeId,
        'totp',
        `<div class="field">
<label for="totp-code">Code from your authenticator app</label>
<input id="totp-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus${describedBy}>
</div>
<div class="actions"><button class="button button-primary" type="submit">Verify</button></div>`,
      ),
    );
  }
  if (has('recovery_code')) {
    codeForms.push(
      factorForm(
        action,
        challenge.challengeId,
        'recovery_code',
        `<div class="field">
<label for="recovery-code">A recovery code</label>
<input id="recovery-code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" minlength="16" maxlength="24" required${has('totp') ? '' : ' autofocus'}>
</div>
<div class="actions"><button class="button" type="submit">Use a recovery code</button></div>`,
      ),
    );
  }
  const divider = '<p class="divider" aria-hidden="true">or</p>';
  const withPasskey = has('passkey') && challenge.passkeyOptions !== undefined;
  // Hidden until the script finds the browser can use it: without JavaScript the code forms stand alone.
  const passkeyChoice = withPasskey
    ? `<div id="passkey-choice" hidden>
${factorForm(
  action,
  challenge.challengeId,
  'passkey',
  `<input type="hidden" name="credential" value="">
<div class="actions"><button class="button button-primary" type="button" id="passkey-button" data-options="${escapeHtml(JSON.stringify(challenge.passkeyOptions))}">Use a passkey</button></div>`,
  'passkey-form',
)}
${codeForms.length > 0 ? divider : ''}
</div>
`
    : '';
  const attempts = `<p class="muted">${challenge.attemptsLeft} ${challenge.attemptsLeft === 1 ? 'attempt' : 'attempts'} left.</p>`;
  return layout(
    'Two-step verification',
    `${heading(`Confirm it is you to continue to ${escapeHtml(input.appName)}`)}
${error}<div class="mfa-step">
${passkeyChoice}${codeForms.join(`\n${divider}\n`)}
</div>
${attempts}`,
    withPasskey ? [PASSKEY_SCRIPT_PATH] : [],
  );
}

export function consentPage(input: {
  confirmAction: string;
  abortAction: string;
  appName: string;
  userLabel: string;
  scopes: string[];
}): string {
  const items = input.scopes
    .map(
      (scope) =>
        `<li>${escapeHtml(describeScope(scope))} <span class="muted">(<code>${escapeHtml(scope)}</code>)</span></li>`,
    )
    .join('\n');
  return layout(
    'Allow access',
    `${heading(`${escapeHtml(input.appName)} wants to access your Gatehouse account`)}
<p>Signed in as <strong>${escapeHtml(input.userLabel)}</strong>.</p>
<p id="scopes-heading">If you allow it, ${escapeHtml(input.appName)} will be able to:</p>
<ul aria-labelledby="scopes-heading">
${items}
</ul>
<p class="muted">You can revoke this access at any time from your account, under Authorized apps.</p>
<div class="actions">
<form method="post" action="${escapeHtml(input.confirmAction)}"><button class="button button-primary" type="submit">Allow</button></form>
<form method="post" action="${escapeHtml(input.abortAction)}"><button class="button" type="submit">Deny</button></form>
</div>`,
  );
}

export function errorPage(message: string): string {
  return layout(
    'Something went wrong',
    `${heading('Something went wrong')}
<div class="notice notice-error" role="alert">${escapeHtml(message)}</div>
<p>Return to the application and try again.</p>`,
  );
}

/** RP-initiated logout: oidc-provider hands over its hidden form (with the xsrf token). */
export function logoutPage(input: { form: string; appName: string | null }): string {
  const from = input.appName ? ` (asked by ${escapeHtml(input.appName)})` : '';
  return layout(
    'Sign out',
    `${heading('Sign out of Gatehouse?')}
<p>You are about to sign out of Gatehouse in this browser${from}.</p>
${input.form}
<div class="actions">
<button class="button button-primary" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button class="button" type="submit" form="op.logoutForm">Stay signed in</button>
</div>`,
  );
}

export function signedOutPage(appName: string | null): string {
  return layout(
    'Signed out',
    `${heading('You are signed out')}
<p>${appName ? `You have signed out of ${escapeHtml(appName)}. ` : ''}You can close this window.</p>`,
  );
}
