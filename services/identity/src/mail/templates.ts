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
