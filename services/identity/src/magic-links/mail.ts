import type { MailMessage } from '@gatehouse/service-kit';

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

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
