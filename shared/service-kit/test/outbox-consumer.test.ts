import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { StringCodec } from 'nats';
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
  OutboxRelay,
  recordEvent,
} from '../src/index.js';
import { eventually, PrivateServer, testNamespace } from '../src/testing.js';

class ProducerSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
  }
}

class ConsumerSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql('create table received_users (user_id varchar(26) primary key, times int not null)');
    this.addSql('create table applied_order (n serial primary key, user_id varchar(26) not null)');
  }
}

const logger = createLogger('kit-test', 'silent');
const ns = testNamespace();
const nats = PrivateServer.nats();
let producerOrm: Orm;
let consumerOrm: Orm;
let producerBus: Messaging;
let consumerBus: Messaging;
let relay: OutboxRelay;
let consumer: DurableConsumer;

/** What every replica of the consuming service runs: same durable, same handler. */
function consumerOptions() {
  return {
    messaging: consumerBus,
    em: consumerOrm.em,
    logger,
    durable: 'kit-test-users',
    filter: 'events.identity.user.>',
    handlers: {
      [EVENT_SUBJECTS.userRegistered]: async (event: { data: unknown }, em: EntityManager) => {
        const { userId } = event.data as { userId: string };
        await em.execute(
          'insert into received_users (user_id, times) values (?, 1) on conflict (user_id) do update set times = received_users.times + 1',
          [userId],
        );
        await em.execute('insert into applied_order (user_id) values (?)', [userId]);
      },
    },
  };
}

async function writeRegistrations(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId());
  await producerOrm.em.fork().transactional(async (em) => {
    for (const userId of ids) {
      recordEvent(em, EVENT_SUBJECTS.userRegistered, { userId, email: `${userId}@example.com`, name: 'N' });
    }
  });
  relay.kick();
  return ids;
}

async function receivedRows(): Promise<Array<{ user_id: string; times: number }>> {
  return consumerOrm.em.fork().execute('select user_id, times from received_users order by user_id');
}

describe('outbox relay and durable consumer over real NATS JetStream', () => {
  beforeAll(async () => {
    await nats.start();
    const connect = (name: string) =>
      connectMessaging({ url: nats.url, name, stream: ns.stream, subjectPrefix: ns.subjectPrefix, logger });
    producerOrm = await initOrm({
      databaseUrl: ns.databaseUrl('producer'),
      entities: [],
      migrations: [{ name: 'm1', class: ProducerSchema }],
    });
    consumerOrm = await initOrm({
      databaseUrl: ns.databaseUrl('consumer'),
      entities: [],
      migrations: [{ name: 'm1', class: ConsumerSchema }],
    });
    producerBus = await connect('producer');
    consumerBus = await connect('consumer');
    relay = new OutboxRelay(producerOrm.em, producerBus, logger, 200);
    relay.start();
    consumer = new DurableConsumer(consumerOptions());
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await producerBus?.nc.close();
    await consumerBus?.nc.close();
    await producerOrm?.close();
    await consumerOrm?.close();
    await nats.destroy();
    await dropDatabase(ns.databaseUrl('producer'));
    await dropDatabase(ns.databaseUrl('consumer'));
  });

  it('delivers every committed event once', async () => {
    const ids = await writeRegistrations(20);
    const rows = await eventually(async () => {
      const found = await receivedRows();
      expect(found).toHaveLength(20);
      return found;
    });
    expect(rows.map((row) => row.user_id).sort()).toEqual([...ids].sort());
    expect(rows.every((row) => row.times === 1)).toBe(true);
  });

  it('does not publish an event whose transaction rolled back', async () => {
    await expect(
      producerOrm.em.fork().transactional(async (em) => {
        recordEvent(em, EVENT_SUBJECTS.userRegistered, { userId: newId(), email: 'x@example.com', name: 'X' });
        await em.flush();
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const [pending] = await producerOrm.em.fork().execute('select count(*)::int as n from outbox_events');
    expect(pending?.n).toBe(20);
  });

  it('loses nothing and applies nothing twice when NATS is down for ten seconds', async () => {
    await nats.stop();
    const written = await writeRegistrations(15);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const [waiting] = await producerOrm.em
      .fork()
      .execute('select count(*)::int as n from outbox_events where published_at is null');
    expect(waiting?.n).toBe(15);
    await nats.start();
    await eventually(async () => expect(await receivedRows()).toHaveLength(35), 20_000);
    const rows = await receivedRows();
    expect(rows.every((row) => row.times === 1)).toBe(true);
    for (const id of written) expect(rows.some((row) => row.user_id === id)).toBe(true);
  }, 60_000);

  it('ignores a redelivered event (same event id published again past dedupe)', async () => {
    const [row] = await producerOrm.em.fork().execute('select payload from outbox_events order by id limit 1');
    const payload = row?.payload as { data: { userId: string } };
    // A different Nats-Msg-Id defeats server-side dedupe, as a replay from backup would.
    await producerBus.js.publish(
      ns.subjectPrefix + EVENT_SUBJECTS.userRegistered,
      StringCodec().encode(JSON.stringify(payload)),
      { msgID: newId() },
    );
    const marker = await writeRegistrations(1);
    await eventually(async () => expect((await receivedRows()).some((r) => r.user_id === marker[0])).toBe(true));
    const rows = await receivedRows();
    expect(rows.find((r) => r.user_id === payload.data.userId)?.times).toBe(1);
    expect(rows.every((r) => r.times === 1)).toBe(true);
  });

  it('parks an event whose payload does not match its subject after retries, and goes on with the next', async () => {
    const applied: string[] = [];
    const members = new DurableConsumer({
      messaging: consumerBus,
      em: consumerOrm.em,
      logger,
      durable: 'kit-test-members',
      filter: 'events.organization.>',
      maxDeliveries: 2,
      retryDelayMs: 50,
      handlers: {
        [EVENT_SUBJECTS.memberAdded]: async (event) => {
          applied.push(event.data.userId);
        },
      },
    });
    await members.start();
    const publish = async (data: Record<string, unknown>) => {
      const event = {
        id: newId(),
        type: EVENT_SUBJECTS.memberAdded,
        occurredAt: new Date().toISOString(),
        version: 1,
        data,
      };
      await producerBus.js.publish(
        ns.subjectPrefix + EVENT_SUBJECTS.memberAdded,
        StringCodec().encode(JSON.stringify(event)),
        {
          msgID: event.id,
        },
      );
      return event.id;
    };
    try {
      // A role this build does not know: the handler, typed by subject, must never see it.
      const unknownRole = await publish({ organizationId: newId(), userId: 'stranger', role: 'billing' });
      await publish({ organizationId: newId(), userId: 'known', role: 'member' });
      await eventually(async () => expect(applied).toEqual(['known']), 10_000);
      const info = await consumerBus.js.consumers.get(consumerBus.stream, 'kit-test-members').then((c) => c.info());
      // Parked, not stuck: nothing is waiting on the durable any more.
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_pending).toBe(0);
      const recorded = await consumerOrm.em
        .fork()
        .execute('select count(*)::int as n from processed_events where event_id = ?', [unknownRole]);
      expect(recorded[0]?.n).toBe(0);
    } finally {
      await members.stop();
    }
  });

  it('applies events in commit order even with two consumer replicas on one durable', async () => {
    const replica = new DurableConsumer(consumerOptions());
    await replica.start();
    try {
      const before = await consumerOrm.em.fork().execute('select count(*)::int as n from applied_order');
      const ids = await writeRegistrations(40);
      await eventually(
        async () => expect((await receivedRows()).filter((row) => ids.includes(row.user_id))).toHaveLength(40),
        20_000,
      );
      const order = await consumerOrm.em
        .fork()
        .execute('select user_id from applied_order order by n offset ?', [before[0]?.n ?? 0]);
      expect(order.map((row) => row.user_id)).toEqual(ids);
    } finally {
      await replica.stop();
    }
  });

  it('sweeps published events and old receipts, and keeps what is still needed', async () => {
    const { RetentionSweeper, KIT_RETENTION } = await import('../src/retention.js');
    const em = producerOrm.em.fork();
    await em.execute(
      "insert into outbox_events (id, subject, payload, created_at, published_at) values ('OLDPUBLISHED00000000000000', 's', '{}', now() - interval '9 days', now() - interval '8 days'), ('OLDPENDING0000000000000000', 's', '{}', now() - interval '9 days', null)",
    );
    await em.execute(
      "insert into processed_events (consumer, event_id, processed_at) values ('c', 'OLDRECEIPT0000000000000000', now() - interval '9 days'), ('c', 'NEWRECEIPT0000000000000000', now())",
    );
    const removed = await new RetentionSweeper(producerOrm.em, KIT_RETENTION, logger).sweep();
    expect(removed).toEqual({ outbox_events: 1, processed_events: 1 });
    const left = await em.execute("select id from outbox_events where id like 'OLD%'");
    expect(left).toEqual([{ id: 'OLDPENDING0000000000000000' }]);
    await em.execute("delete from outbox_events where id = 'OLDPENDING0000000000000000'");
  });
});
