import { EntitySchema } from '@mikro-orm/postgresql';

/**
 * Mail waits here, written in the same transaction as the change that caused it, until
 * SMTP accepts it. The body is cleared once sent, since it carries single-use links.
 */
export interface QueuedMail {
  id: string;
  recipient: string;
  subject: string;
  textBody: string | null;
  htmlBody: string | null;
  createdAt: Date;
  sentAt: Date | null;
  attempts: number;
  nextAttemptAt: Date;
}

export const QueuedMailSchema = new EntitySchema<QueuedMail>({
  name: 'QueuedMail',
  tableName: 'mail_outbox',
  properties: {
    id: { type: 'string', primary: true },
    recipient: { type: 'string' },
    subject: { type: 'string' },
    textBody: { type: 'text', nullable: true },
    htmlBody: { type: 'text', nullable: true },
    createdAt: { type: 'Date' },
    sentAt: { type: 'Date', nullable: true },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'Date' },
  },
});
