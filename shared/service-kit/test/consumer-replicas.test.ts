import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { Migration } from '@mikro-orm/migrations';
import { AckPolicy, DeliverPolicy, nanos } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectMessaging,
  createLogger,
  DurableConsumer,
  dropDatabase,
  initOrm,
  KIT_TABLES_SQL,
  type Messaging,
  type Orm,
} from '../src/index.js';
import { eventually, publishTestEvent, TcpRelay, testNamespace } from '../src/testing.js';

/**
 * Two replicas of one durable consumer: what happens to the event one of them holds when its handler is slow, and
 * when the replica is gone. A short ack wait stands in for the production 5 s, so the test runs in seconds.
 */
const ACK_WAIT_MS = 2_000;

class ConsumerSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql('create table handled (durable text not null, user_id varchar(26) not null, replica text not null)');
  }
}

const logger = createLogger('consumer-replicas-test', 'silent');
const ns = testNamespace();
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let orm: Orm;
let publisher: Messaging;
const connections: Messaging[] = [];
const consumers: DurableConsumer[] = [];
const relays: TcpRelay[] = [];

async function connect(name: string, url = NATS_URL): Promise<Messaging> {
  const messaging = await connectMessaging({ url, name, stream: ns.stream, subjectPrefix: ns.subjectPrefix, logger });
  connections.push(messaging);
  return messaging;
}

/** A replica of `durable` on its own NATS connection; its handler records the user under `replica`'s name. */
async function startReplica(
  durable: string,
  replica: string,
  messaging: Messaging,
  beforeRecording: (userId: string) => Promise<void> = async () => {},
) {
  const consumer = new DurableConsumer({
    messaging,
    em: orm.em,
    logger,
    durable,
    filter: 'events.identity.user.registered',
    ackWaitMs: ACK_WAIT_MS,
    handlers: {
      [EVENT_SUBJECTS.userRegistered]: async (event, em) => {
        await beforeRecording(event.data.userId);
        await em.execute('insert into handled (durable, user_id, replica) values (?, ?, ?)', [
          durable,
          event.data.userId,
          replica,
        ]);
      },
    },
  });
  await consumer.start();
  consumers.push(consumer);
}

/** Every test's durable sees every registration on the stream, so each handler looks for its test's own user. */
async function publishRegistration(userId = newId()): Promise<string> {
  await publishTestEvent(publisher, EVENT_SUBJECTS.userRegistered, {
    userId,
    email: `${userId}@example.com`,
    name: 'N',
  });
  return userId;
}

/** Which replicas of `durable` recorded the user (every test's durable records every registration). */
const handledBy = async (durable: string, userId: string) =>
  (await orm.em.fork().execute('select replica from handled where durable = ? and user_id = ?', [durable, userId])) as {
    replica: string;
  }[];

const consumerInfo = (durable: string) => publisher.jsm.consumers.info(publisher.stream, durable);

beforeAll(async () => {
  orm = await initOrm({
    databaseUrl: ns.databaseUrl('replicas'),
    entities: [],
    migrations: [{ name: 'm1', class: ConsumerSchema }],
  });
  publisher = await connect('publisher');
});

afterAll(async () => {
  for (const consumer of consumers) await consumer.stop();
  await publisher?.jsm.streams.delete(ns.stream).catch(() => undefined);
  for (const relay of relays) await relay.restore();
  for (const messaging of connections) await messaging.nc.close().catch(() => undefined);
  await orm?.close();
  await dropDatabase(ns.databaseUrl('replicas'));
});

describe('a durable consumer on two replicas', () => {
  it('keeps an event with the replica whose handler runs longer than the ack wait: delivered once', async () => {
    const userId = newId();
    const slow = (handling: string) =>
      handling === userId ? new Promise<void>((resolve) => setTimeout(resolve, 3.5 * ACK_WAIT_MS)) : Promise.resolve();
    await startReplica('replicas-slow', 'a', await connect('a'), slow);
    await publishRegistration(userId);
    // Replica a holds the event before b exists, so the only way b could see it is a redelivery.
    await eventually(async () => expect((await consumerInfo('replicas-slow')).num_ack_pending).toBe(1));
    await startReplica('replicas-slow', 'b', await connect('b'));

    await eventually(async () => expect(await handledBy('replicas-slow', userId)).toEqual([{ replica: 'a' }]), 20_000);
    await eventually(async () => expect((await consumerInfo('replicas-slow')).num_ack_pending).toBe(0));
    // Each message on the stream delivered once: a redelivery would have taken the consumer's count past it.
    const { delivered } = await consumerInfo('replicas-slow');
    expect(delivered.consumer_seq).toBe(delivered.stream_seq);
  }, 40_000);

  it('moves the event a replica held when it dies to the other once the ack wait passes, and applies it once', async () => {
    const relay = new TcpRelay({ host: '127.0.0.1', port: Number(new URL(NATS_URL).port || 4222) });
    relays.push(relay);
    const port = await relay.start();
    let release: (failure: Error) => void = () => {};
    const held = new Promise<void>((_resolve, reject) => {
      release = reject;
    });
    let holding = false;
    const userId = newId();
    await startReplica('replicas-dead', 'a', await connect('a-dies', `nats://127.0.0.1:${port}`), async (handling) => {
      if (handling !== userId) return;
      holding = true;
      await held;
    });
    await publishRegistration(userId);
    await eventually(async () => expect(holding).toBe(true));
    await startReplica('replicas-dead', 'b', await connect('b-survives'));

    // Replica a is gone from NATS (its socket cut: no ack, no "still working"); its transaction ends as a dead
    // process's does when PostgreSQL drops its connection.
    await relay.cut();
    release(new Error('replica a died'));

    await eventually(
      async () => expect(await handledBy('replicas-dead', userId)).toEqual([{ replica: 'b' }]),
      10 * ACK_WAIT_MS,
    );
  }, 30_000);
  it('brings a durable made with an older ack wait (30 s) to its own', async () => {
    await publisher.jsm.consumers.add(publisher.stream, {
      durable_name: 'replicas-older',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: publisher.subject('events.identity.user.registered'),
      ack_wait: nanos(30_000),
      max_ack_pending: 1,
    });
    await startReplica('replicas-older', 'a', await connect('a-upgraded'));
    expect((await consumerInfo('replicas-older')).config.ack_wait).toBe(nanos(ACK_WAIT_MS));
  });
});
