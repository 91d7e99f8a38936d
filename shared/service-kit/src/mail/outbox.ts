import { newId } from '@gatehouse/contracts';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { Pump } from '../pump.js';
import { type QueuedMail, QueuedMailSchema } from './entities.js';
import type { Mailer, MailMessage } from './mailer.js';

/** Queues a message inside the caller's unit of work. */
export function queueMail(em: EntityManager, message: MailMessage): QueuedMail {
  const now = new Date();
  return em.create(QueuedMailSchema, {
    id: newId(),
    recipient: message.to,
    subject: message.subject,
    textBody: message.text,
    htmlBody: message.html,
    createdAt: now,
    sentAt: null,
    attempts: 0,
    nextAttemptAt: now,
  });
}

/** Sends queued mail; an SMTP outage leaves it queued and retried with backoff. */
export class MailRelay {
  private readonly pump: Pump;

  constructor(
    private readonly em: EntityManager,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    intervalMs = 1000,
  ) {
    this.pump = new Pump({ name: 'mail-relay', pass: () => this.sendDue(), logger, intervalMs });
  }

  start(): void {
    this.pump.start();
  }

  kick(): void {
    this.pump.kick();
  }

  async stop(): Promise<void> {
    await this.pump.stop();
    this.mailer.close();
  }

  private async sendDue(): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const due = await em.find(
        QueuedMailSchema,
        { sentAt: null, nextAttemptAt: { $lte: new Date() } },
        { orderBy: { id: 'asc' }, limit: 20, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      for (const mail of due) {
        try {
          await this.mailer.send({
            to: mail.recipient,
            subject: mail.subject,
            text: mail.textBody ?? '',
            html: mail.htmlBody ?? '',
          });
          mail.sentAt = new Date();
          mail.textBody = null;
          mail.htmlBody = null;
        } catch (error) {
          mail.attempts += 1;
          mail.nextAttemptAt = new Date(Date.now() + Math.min(2 ** mail.attempts * 1000, 15 * 60_000));
          this.logger.warn({ err: error, mailId: mail.id }, 'mail not accepted by SMTP; will retry');
        }
      }
    });
  }
}
