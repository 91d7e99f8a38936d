import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import { Type } from 'typebox';
import type { Logger } from '../logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

type Nodemailer = typeof import('nodemailer')['default'];

/**
 * A transport made on the first message: nodemailer (≈ 1.7 MB of heap) is imported then, not at
 * start, so a process that never mails never loads it. Closing closes it only if it was made.
 */
function lazyTransport<Info>(create: (nodemailer: Nodemailer) => Transporter<Info>) {
  let transport: Promise<Transporter<Info>> | undefined;
  return {
    get: () => {
      transport ??= import('nodemailer').then((module) => create(module.default));
      return transport;
    },
    close: () => {
      void transport?.then((made) => made.close());
    },
  };
}

/** Real SMTP when SMTP_URL is set. */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = lazyTransport((nodemailer) => nodemailer.createTransport(smtpUrl));
  return {
    async send(message) {
      await (await transport.get()).sendMail({ from, ...message });
    },
    close: transport.close,
  };
}

/**
 * Local runs without SMTP: every message is written as an .eml file a newcomer can open,
 * and its first link is logged so an account can be verified from the terminal.
 */
export function fileMailer(directory: string, from: string, logger: Logger): Mailer {
  const transport = lazyTransport((nodemailer) =>
    nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }),
  );
  return {
    async send(message) {
      const info = await (await transport.get()).sendMail({ from, ...message });
      await mkdir(directory, { recursive: true });
      const file = join(directory, `${Date.now()}-${message.to.replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`);
      await writeFile(file, info.message as Buffer);
      const link = message.text.match(/https?:\/\/\S+/)?.[0];
      logger.info({ file, to: message.to, link }, `mail written (no SMTP_URL): ${message.subject}`);
    },
    close: transport.close,
  };
}

/** Mail settings shared by every service that sends mail. */
export function mailConfigProperties() {
  return {
    SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
    MAIL_FROM: Type.String({ default: 'Gatehouse <no-reply@localhost>' }),
    MAIL_OUTBOX_DIR: Type.String({ default: '.data/mail' }),
  };
}

export function createMailer(
  config: { SMTP_URL?: string; MAIL_FROM: string; MAIL_OUTBOX_DIR: string },
  logger: Logger,
): Mailer {
  return config.SMTP_URL
    ? smtpMailer(config.SMTP_URL, config.MAIL_FROM)
    : fileMailer(config.MAIL_OUTBOX_DIR, config.MAIL_FROM, logger);
}
