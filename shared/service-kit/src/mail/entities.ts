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

/** The table behind QueuedMailSchema, for the first migration of a service that sends mail. */
export const MAIL_OUTBOX_TABLE_SQL = [
  `create table mail_outbox (
    id varchar(26) primary key,
    recipient varchar(254) not null,
    subject varchar(200) not null,
    text_body text null,
    html_body text null,
    created_at timestamptz not null,
    sent_at timestamptz null,
    attempts int not null default 0,
    next_attempt_at timestamptz not null
  )`,
  'create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where sent_at is null',
];
