import type { MailMessage } from '@gatehouse/service-kit';
import { escapeHtml } from '../html.js';

function linkMail(
  to: string,
  subject: string,
  intro: string,
  action: string,
  link: string,
  outro: string,
): MailMessage {
  return {
    to,
    subject,
    text: `${intro}\n\n${action}: ${link}\n\n${outro}\n`,
    html: `<p>${escapeHtml(intro)}</p><p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p><p>${escapeHtml(outro)}</p>`,
  };
}

export function verificationMail(to: string, name: string, link: string, hours: number): MailMessage {
  return linkMail(
    to,
    'Verify your email address',
    `Hello ${name}, please confirm that this is your email address.`,
    'Verify your email',
    link,
    `The link works once and expires in ${hours} hours. If you did not sign up, ignore this message.`,
  );
}

export function passwordResetMail(to: string, link: string, minutes: number): MailMessage {
  return linkMail(
    to,
    'Reset your password',
    'Someone asked to reset the password of your account.',
    'Choose a new password',
    link,
    `The link works once and expires in ${minutes} minutes. If it was not you, ignore this message; your password is unchanged.`,
  );
}

/** A security notice: what changed on the account, and what to do if it was not the owner. */
function noticeMail(to: string, subject: string, what: string, ifNotYou: string): MailMessage {
  return {
    to,
    subject,
    text: `${what}\n\n${ifNotYou}\n`,
    html: `<p>${escapeHtml(what)}</p><p>${escapeHtml(ifNotYou)}</p>`,
  };
}

const IF_NOT_YOU =
  'If it was not you, change your password, sign out your other sessions and review your two-step verification settings.';

export function totpEnabledMail(to: string): MailMessage {
  return noticeMail(
    to,
    'Authenticator app turned on',
    'An authenticator app was set up for two-step verification on your account.',
    IF_NOT_YOU,
  );
}

export function totpRemovedMail(to: string, mfaStillOn: boolean): MailMessage {
  return noticeMail(
    to,
    'Authenticator app removed',
    mfaStillOn
      ? 'The authenticator app was removed from your account; your passkeys still work as a second factor.'
      : 'The authenticator app was removed from your account. Two-step verification is now off, and your recovery codes no longer work.',
    IF_NOT_YOU,
  );
}

export function passkeyAddedMail(to: string, name: string): MailMessage {
  return noticeMail(to, 'Passkey added', `A passkey named "${name}" was added to your account.`, IF_NOT_YOU);
}

export function passkeyRemovedMail(to: string, name: string, mfaStillOn: boolean): MailMessage {
  return noticeMail(
    to,
    'Passkey removed',
    mfaStillOn
      ? `The passkey "${name}" was removed from your account.`
      : `The passkey "${name}" was removed from your account. Two-step verification is now off, and your recovery codes no longer work.`,
    IF_NOT_YOU,
  );
}

export function recoveryCodesRegeneratedMail(to: string): MailMessage {
  return noticeMail(
    to,
    'New recovery codes',
    'New recovery codes were made for your account; the previous ones no longer work.',
    IF_NOT_YOU,
  );
}

export function recoveryCodeUsedMail(to: string, left: number): MailMessage {
  return noticeMail(
    to,
    'A recovery code was used',
    `A recovery code was used to sign in to your account. ${left === 1 ? '1 code is' : `${left} codes are`} left${
      left <= 3 ? ': make new ones in your account settings' : ''
    }.`,
    IF_NOT_YOU,
  );
}

export function passkeyCloneSuspectedMail(to: string, name: string): MailMessage {
  return noticeMail(
    to,
    'Your passkey may have been copied',
    `A sign-in with the passkey "${name}" was refused: its signature counter went backwards, which happens when the passkey was copied to another device.`,
    'If you did not copy it, remove that passkey from your account and add a new one.',
  );
}

export function factorsClearedMail(to: string): MailMessage {
  return noticeMail(
    to,
    'Two-step verification was turned off',
    'Every second factor of your account (authenticator app, passkeys, recovery codes) was removed while its ownership was confirmed again.',
    'Set up two-step verification again from your account settings. If you did not expect this, contact support.',
  );
}

/** The sign-in link itself; it opens the console's page, which signs in on a click (POST). */
export function magicLinkMail(to: string, link: string, minutes: number): MailMessage {
  return linkMail(
    to,
    'Your sign-in link',
    'Someone asked for a link to sign in to your Gatehouse account.',
    'Sign in to Gatehouse',
    link,
    `The link works once and expires in ${minutes} minutes; a newer link replaces it. If it was not you, ignore this message: nobody can sign in without it.`,
  );
}

/** Instead of a link, for an address whose organization requires single sign-on: where that sign-in starts. */
export function magicLinkSsoMail(to: string, discoverLink: string): MailMessage {
  return linkMail(
    to,
    'Sign in with single sign-on',
    'Someone asked for a link to sign in to your Gatehouse account. Your organization requires signing in through its single sign-on, so no sign-in link was made.',
    'Sign in with single sign-on',
    discoverLink,
    'If it was not you, ignore this message.',
  );
}
