// The passkey button of the authorization server's second-factor page (/oauth2/interaction/:uid/mfa).
// That page is server-rendered and allows no inline script, so this file (served by the console on the
// same origin) does the one thing that needs JavaScript: ask the browser for an assertion with the
// options in the button's data-options, put the credential's JSON in the form, and post it.
// Without the WebAuthn JSON API the passkey choice stays hidden and the code forms remain.
(() => {
  const choice = document.getElementById('passkey-choice');
  const button = document.getElementById('passkey-button');
  const form = document.getElementById('passkey-form');
  if (!choice || !button || !form) return;
  const field = form.querySelector('input[name="credential"]');
  const canUsePasskeys =
    typeof window.PublicKeyCredential === 'function' &&
    typeof window.PublicKeyCredential.parseRequestOptionsFromJSON === 'function' &&
    typeof navigator.credentials?.get === 'function';
  if (!field || !canUsePasskeys) return;

  let options;
  try {
    options = JSON.parse(button.dataset.options ?? '');
  } catch {
    return;
  }
  choice.hidden = false;

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
      const credential = await navigator.credentials.get({ publicKey });
      if (!credential) return;
      field.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch {
      // Cancelled, timed out or no passkey for this site: the person may try again or use a code.
    } finally {
      button.disabled = false;
    }
  });
})();
