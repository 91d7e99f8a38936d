import { isTokenScope, SCOPE_DESCRIPTIONS } from '@gatehouse/contracts';

/**
 * The authorization server's pages: plain server-rendered HTML with inline styles, no
 * scripts and no external assets, so they work with JavaScript off and leak nothing to
 * third parties.
 */

const OIDC_SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are (your Gatehouse user id)',
  profile: 'See your name and handle',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using it (until you revoke access)',
};

export function describeScope(scope: string): string {
  if (isTokenScope(scope)) return SCOPE_DESCRIPTIONS[scope];
  return OIDC_SCOPE_DESCRIPTIONS[scope] ?? scope;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:Canvas;color:CanvasText}
main{width:min(26rem,92vw);padding:2rem;border:1px solid GrayText;border-radius:.75rem}
h1{font-size:1.4rem;margin:0 0 1rem}
p{line-height:1.5}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.6rem;font:inherit;border:1px solid GrayText;border-radius:.4rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid GrayText;cursor:pointer}
button.primary{background:#1d4ed8;color:#fff;border-color:#1d4ed8}
button:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.actions{display:flex;gap:.75rem;margin-top:1.5rem;flex-wrap:wrap}
.error{padding:.75rem;border-radius:.4rem;background:#fee2e2;color:#7f1d1d}
ul{padding-left:1.2rem}li{margin:.35rem 0}
small{color:GrayText}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Gatehouse</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export function loginPage(input: { action: string; appName: string; email?: string; error?: string }): string {
  const error = input.error ? `<p class="error" role="alert" id="form-error">${escapeHtml(input.error)}</p>` : '';
  const describedBy = input.error ? ' aria-describedby="form-error"' : '';
  return layout(
    'Sign in',
    `<h1>Sign in to continue to ${escapeHtml(input.appName)}</h1>
${error}
<form method="post" action="${escapeHtml(input.action)}"${describedBy}>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(input.email ?? '')}"${input.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${input.email ? ' autofocus' : ''}>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>`,
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
    .map((scope) => `<li>${escapeHtml(describeScope(scope))} <small>(${escapeHtml(scope)})</small></li>`)
    .join('\n');
  return layout(
    'Allow access',
    `<h1>${escapeHtml(input.appName)} wants to access your Gatehouse account</h1>
<p>Signed in as <strong>${escapeHtml(input.userLabel)}</strong>.</p>
<p id="scopes-heading">If you allow it, ${escapeHtml(input.appName)} will be able to:</p>
<ul aria-labelledby="scopes-heading">
${items}
</ul>
<p><small>You can revoke this access at any time from your account.</small></p>
<div class="actions">
<form method="post" action="${escapeHtml(input.confirmAction)}"><button class="primary" type="submit">Allow</button></form>
<form method="post" action="${escapeHtml(input.abortAction)}"><button type="submit">Deny</button></form>
</div>`,
  );
}

export function errorPage(message: string): string {
  return layout(
    'Something went wrong',
    `<h1>Something went wrong</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
<p>Return to the application and try again.</p>`,
  );
}

/** RP-initiated logout: oidc-provider hands over its hidden form (with the xsrf token). */
export function logoutPage(input: { form: string; appName: string | null }): string {
  const from = input.appName ? ` (asked by ${escapeHtml(input.appName)})` : '';
  return layout(
    'Sign out',
    `<h1>Sign out of Gatehouse?</h1>
<p>You are about to sign out of Gatehouse in this browser${from}.</p>
${input.form}
<div class="actions">
<button class="primary" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>
</div>`,
  );
}

export function signedOutPage(appName: string | null): string {
  return layout(
    'Signed out',
    `<h1>You are signed out</h1>
<p>${appName ? `You have signed out of ${escapeHtml(appName)}. ` : ''}You can close this window.</p>`,
  );
}
