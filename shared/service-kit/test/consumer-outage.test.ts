import { Writable } from 'node:stream';
import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectMessaging,
  createLogger,
  DurableConsumer,
  type DurableConsumerOptions,
  dropDatabase,
  initOrm,
  KIT_TABLES_SQL,
  type Messaging,
  type Orm,
  OutboxRelay,
  recordEvent,
} from '../src/index.js';
import { eventually, TcpRelay, testNamespace } from '../src/testing.js';

class ProducerSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
  }
}

class ConsumerSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql('create table received_users (user_id varchar(26) primary key, times int not null)');
  }
}

/** Small numbers instead of the production 10 failures and 30 s cap, so the test outlasts the budget fast. */
const BUDGET = { maxDeliveries: 3, retryDelayMs: 20, maxRetryDelayMs: 100 };

/** The consumer's log lines, parsed, to see what it says when it parks an event. */
const logLines: Array<Record<string, unknown>> = [];
const logger = createLogger(
  'consumer-outage-test',
  'warn',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  }),
);
const ns = testNamespace();
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
/** The consumer's PostgreSQL, reached through a relay the test cuts; the producer's stays up. */
const database = new TcpRelay({ host: '127.0.0.1', port: 5432 });
let consumerDatabaseUrl: string;
let producerOrm: Orm;
let consumerOrm: Orm;
let producerBus: Messaging;
let consumerBus: Messaging;
let relay: OutboxRelay;
const consumers: DurableConsumer[] = [];

async function startConsumer(
  durable: string,
  filter: string,
  handler: (userId: string, em: EntityManager) => Promise<void>,
): Promise<DurableConsumer> {
  const options: DurableConsumerOptions = {
    messaging: consumerBus,
    em: consumerOrm.em,
    logger,
    durable,
    filter,
    handlers: {
      [EVENT_SUBJECTS.userRegistered]: (event, em) => handler((event.data as { userId: string }).userId, em),
      [EVENT_SUBJECTS.userUpdated]: (event, em) => handler((event.data as { userId: string }).userId, em),
    },
    ...BUDGET,
  };
  const consumer = new DurableConsumer(options);
  await consumer.start();
  consumers.push(consumer);
  return consumer;
}

async function countOnce(userId: string, em: EntityManager): Promise<void> {
  await em.execute(
    'insert into received_users (user_id, times) values (?, 1) on conflict (user_id) do update set times = received_users.times + 1',
    [userId],
  );
}

async function publish(subject: typeof EVENT_SUBJECTS.userRegistered | typeof EVENT_SUBJECTS.userUpdated) {
  const userId = newId();
  const data = { userId, email: `${userId}@example.com`, name: 'N', handle: 'n' };
  const eventId = await producerOrm.em.fork().transactional(async (em) => recordEvent(em, subject, data).id);
  relay.kick();
  return { userId, eventId };
}

async function consumerInfo(durable: string) {
  return consumerBus.jsm.consumers.info(consumerBus.stream, durable);
}

/** Waits for twice the budget's deliveries, all failing on the missing database (or for the event to be given up). */
async function outlastBudget(durable: string): Promise<void> {
  await eventually(async () => {
    const info = await consumerInfo(durable);
    const givenUp = info.delivered.consumer_seq > 0 && info.num_ack_pending === 0 && info.num_pending === 0;
    expect(givenUp || info.delivered.consumer_seq >= 2 * BUDGET.maxDeliveries).toBe(true);
  }, 20_000);
}

describe('a durable consumer through a PostgreSQL outage', () => {
  beforeAll(async () => {
    await database.start();
    const url = new URL(ns.databaseUrl('consumer'));
    url.port = String(database.port);
    consumerDatabaseUrl = url.toString();
    const connect = (name: string) =>
      connectMessaging({ url: NATS_URL, name, stream: ns.stream, subjectPrefix: ns.subjectPrefix, logger });
    producerOrm = await initOrm({
      databaseUrl: ns.databaseUrl('producer'),
      entities: [],
      migrations: [{ name: 'm1', class: ProducerSchema }],
    });
    consumerOrm = await initOrm({
      databaseUrl: consumerDatabaseUrl,
      entities: [],
      migrations: [{ name: 'm1', class: ConsumerSchema }],
    });
    producerBus = await connect('producer');
    consumerBus = await connect('consumer');
    relay = new OutboxRelay(producerOrm.em, producerBus, logger, 200);
    relay.start();
  });

  afterAll(async () => {
    await database.restore();
    for (const consumer of consumers) await consumer.stop();
    await relay?.stop();
    await producerBus?.jsm.streams.delete(ns.stream).catch(() => undefined);
    await producerBus?.nc.close();
    await consumerBus?.nc.close();
    await producerOrm?.close();
    await consumerOrm?.close();
    await dropDatabase(ns.databaseUrl('producer'));
    await dropDatabase(ns.databaseUrl('consumer'));
  });

  it('keeps an event through an outage longer than its failure budget and applies it once when PostgreSQL returns', async () => {
    await startConsumer('outage-registered', 'events.identity.user.registered', countOnce);
    await database.cut();
    const { userId } = await publish(EVENT_SUBJECTS.userRegistered);
    await outlastBudget('outage-registered');
    await database.restore();
    const received = async () =>
      consumerOrm.em.fork().execute('select times from received_users where user_id = ?', [userId]);
    await eventually(async () => expect(await received()).toEqual([{ times: 1 }]), 20_000);
    // Acked: nothing is left in flight to apply it a second time.
    await eventually(async () => expect((await consumerInfo('outage-registered')).num_ack_pending).toBe(0));
    expect(await received()).toEqual([{ times: 1 }]);
  }, 60_000);

  it('counts only handler failures toward parking, and logs the parked event with its id and subject', async () => {
    let handlerRuns = 0;
    await startConsumer('outage-updated', 'events.identity.user.updated', async () => {
      handlerRuns += 1;
      throw new Error('the handler cannot apply this event');
    });
    await database.cut();
    const { eventId } = await publish(EVENT_SUBJECTS.userUpdated);
    await outlastBudget('outage-updated');
    await database.restore();
    const parked = await eventually(async () => {
      const line = logLines.find((entry) => entry.eventId === eventId && entry.level === 50);
      expect(line).toBeDefined();
      return line as Record<string, unknown>;
    }, 20_000);
    expect(parked).toMatchObject({ durable: 'outage-updated', type: EVENT_SUBJECTS.userUpdated });
    expect(parked.subject).toBe(ns.subjectPrefix + EVENT_SUBJECTS.userUpdated);
    // Every one of the budget's failures was the handler's: the outage spent none of it.
    expect(handlerRuns).toBe(BUDGET.maxDeliveries);
    await eventually(async () => expect((await consumerInfo('outage-updated')).num_ack_pending).toBe(0));
  }, 60_000);
});
