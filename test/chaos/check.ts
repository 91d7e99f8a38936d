/**
 * The consistency check after each fault, with the workload paused: outboxes drained, JetStream
 * consumers caught up and read models equal to organization's members (within a bound); then
 * every acknowledged write found in its service's database, the writes of this fault read back
 * through the gateway, and no duplicates.
 */
import { connect } from 'nats';
import { PASSWORD } from '../support/flows.js';
import type { PrivatePostgres } from './deps.js';
import { type Answer, HttpClient, Recorder } from './http.js';
import { waitReady } from './processes.js';
import type { Write, WriteKind } from './workload.js';

const SERVICES = ['identity', 'organization', 'project'] as const;
const SETTLE_MS = 30_000;
const database = (service: (typeof SERVICES)[number]) => `gatehouse_${service}`;

export interface CheckResult {
  /** Acknowledged writes not found: not in the database, or the API answered without them. */
  lost: Array<{ kind: WriteKind; id: string; where: 'db' | 'api'; why: string }>;
  /** This fault's writes the API could not be asked about (5xx or no answer, after retries). */
  unreadable: CheckResult['lost'];
  duplicates: string[];
  /** Settling conditions still unmet when the bound ran out (outbox, consumers, read models). */
  unsettled: string[];
  settleMs: number;
}

export class ConsistencyCheck {
  private readonly reportedLost = new Set<string>();

  constructor(
    private readonly postgres: PrivatePostgres,
    private readonly natsUrl: string,
    private readonly gatewayUrl: string,
  ) {}

  async run(all: Write[], sincePhaseStart: Write[]): Promise<CheckResult> {
    const started = Date.now();
    let unsettled = await this.unsettled();
    while (unsettled.length > 0 && Date.now() - started < SETTLE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      unsettled = await this.unsettled();
    }
    const settleMs = Date.now() - started;
    const api = await this.readBack(sincePhaseStart);
    const lost = [...(await this.missingInDatabase(all)), ...api.lost].filter((entry) => {
      const key = `${entry.where}:${entry.kind}:${entry.id}`;
      if (this.reportedLost.has(key)) return false; // counted under the fault where it first went missing
      this.reportedLost.add(key);
      return true;
    });
    return { lost, unreadable: api.unreadable, duplicates: await this.duplicates(), unsettled, settleMs };
  }

  private async rows(service: (typeof SERVICES)[number], sql: string): Promise<string[][]> {
    return this.postgres.query(database(service), sql);
  }

  /** What is not (yet) consistent: each a short description; empty when everything agrees. */
  private async unsettled(): Promise<string[]> {
    try {
      const problems: string[] = [];
      for (const service of SERVICES) {
        const [[count] = ['?']] = await this.rows(
          service,
          'select count(*) from outbox_events where published_at is null',
        );
        if (count !== '0') problems.push(`${service} outbox: ${count} unpublished`);
      }
      problems.push(...(await this.consumersBehind()));
      const members = await this.rows('organization', 'select organization_id, user_id, role from members');
      const readModels = {
        'identity user_memberships': await this.rows(
          'identity',
          'select organization_id, user_id, role from user_memberships',
        ),
        'project memberships': await this.rows('project', 'select organization_id, user_id, role from memberships'),
      };
      for (const [name, rows] of Object.entries(readModels)) problems.push(...compare(name, members, rows));
      const users = await this.rows('identity', 'select id from users');
      problems.push(
        ...compare(
          'organization directory_users',
          users,
          await this.rows('organization', 'select user_id from directory_users'),
        ),
      );
      problems.push(
        ...compare(
          'default organizations',
          users,
          await this.rows(
            'organization',
            'select default_for_user_id from organizations where default_for_user_id is not null',
          ),
        ),
      );
      return problems;
    } catch (error) {
      return [`check could not run: ${(error as Error).message.split('\n')[0]}`];
    }
  }

  private async consumersBehind(): Promise<string[]> {
    const nc = await connect({ servers: this.natsUrl, timeout: 2000, reconnect: false });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 2000 });
      const behind: string[] = [];
      for (const stream of await jsm.streams.list().next()) {
        for (const consumer of await jsm.consumers.list(stream.config.name).next()) {
          if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) {
            behind.push(
              `consumer ${consumer.name}: ${consumer.num_pending} pending, ${consumer.num_ack_pending} unacked`,
            );
          }
        }
      }
      return behind;
    } finally {
      await nc.close();
    }
  }

  private async missingInDatabase(writes: Write[]): Promise<CheckResult['lost']> {
    const tables: Record<WriteKind, [(typeof SERVICES)[number], string]> = {
      user: ['identity', 'select id from users'],
      api_key: ['identity', 'select id from api_keys'],
      project: ['project', 'select id from projects'],
      member: ['organization', 'select id from members'],
    };
    const lost: CheckResult['lost'] = [];
    for (const [kind, [service, sql]] of Object.entries(tables) as Array<
      [WriteKind, [(typeof SERVICES)[number], string]]
    >) {
      const present = new Set((await this.rows(service, sql)).map(([id]) => id));
      for (const write of writes) {
        if (write.kind === kind && !present.has(write.id)) {
          lost.push({ kind, id: write.id, where: 'db', why: `not in ${database(service)}` });
        }
      }
    }
    return lost;
  }

  private async duplicates(): Promise<string[]> {
    const found: string[] = [];
    const queries: Array<[(typeof SERVICES)[number], string, string]> = [
      ['project', 'projects', 'select name from projects group by organization_id, name having count(*) > 1'],
      ['identity', 'api keys', 'select name from api_keys group by user_id, name having count(*) > 1'],
    ];
    for (const [service, label, sql] of queries) {
      for (const [name] of await this.rows(service, sql)) found.push(`${label}: "${name}" more than once`);
    }
    return found;
  }

  /**
   * Reads each write back through the gateway with its creator's credentials, once the gateway
   * says it is ready. An answer without it is a lost write; no answer (5xx, none) leaves it unreadable.
   */
  private async readBack(writes: Write[]): Promise<Pick<CheckResult, 'lost' | 'unreadable'>> {
    await waitReady(`${this.gatewayUrl}/readyz`, 60_000).catch(() => undefined);
    const client = new HttpClient(this.gatewayUrl, 'check', '127.0.0.1', new Recorder(), 20_000);
    const result: Pick<CheckResult, 'lost' | 'unreadable'> = { lost: [], unreadable: [] };
    const memberLists = new Map<string, Set<string>>();
    const queue = [...writes];
    const lane = async () => {
      for (let write = queue.shift(); write; write = queue.shift()) {
        let outcome = await this.readOne(client, write, memberLists);
        for (let attempt = 1; outcome && attempt < 3; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          outcome = await this.readOne(client, write, memberLists);
        }
        if (!outcome) continue;
        const entry = { kind: write.kind, id: write.id, where: 'api' as const, why: outcome.why };
        (outcome.answered ? result.lost : result.unreadable).push(entry);
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    client.close();
    return result;
  }

  /** null when the write reads back; else whether the API answered (a 2xx/4xx without it) and why. */
  private async readOne(
    client: HttpClient,
    write: Write,
    memberLists: Map<string, Set<string>>,
  ): Promise<{ answered: boolean; why: string } | null> {
    const { account } = write;
    const verdict = (res: Answer, found: boolean) =>
      found
        ? null
        : {
            answered: res.status !== null && res.status < 500,
            why: `answered ${res.status ?? 'nothing'} ${res.body?.code ?? ''}`,
          };
    if (write.kind === 'member') {
      const organizationId = write.organizationId!;
      if (!memberLists.has(organizationId)) {
        const listed = await this.members(client, organizationId, account.cookie!);
        if (!(listed instanceof Set)) return verdict(listed, false);
        memberLists.set(organizationId, listed);
      }
      return memberLists.get(organizationId)!.has(write.id) ? null : { answered: true, why: 'not in the members list' };
    }
    let res: Answer;
    if (write.kind === 'user') {
      res = account.cookie
        ? await client.call('check', 'GET', '/api/user/me', { headers: { cookie: account.cookie } })
        : await client.call('check', 'POST', '/api/auth/sign-in/email', {
            json: { email: account.email, password: PASSWORD },
          });
    } else if (write.kind === 'api_key') {
      res = await client.call('check', 'GET', `/api/auth/api-key/get?id=${write.id}`, {
        headers: { cookie: account.cookie! },
      });
    } else {
      const path = `/api/user/organizations/${write.organizationId}/projects/${write.id}`;
      res = await client.call('check', 'GET', path, { headers: { 'x-api-key': account.pat! } });
    }
    const id = res.body?.data?.user?.id ?? res.body?.data?.id;
    return verdict(res, res.status === 200 && id === write.id);
  }

  private async members(client: HttpClient, organizationId: string, cookie: string): Promise<Set<string> | Answer> {
    const ids = new Set<string>();
    for (let offset = 0; offset < 100_000; offset += 100) {
      const path = `/api/user/organizations/${organizationId}/members?limit=100&offset=${offset}`;
      const res = await client.call('check', 'GET', path, { headers: { cookie } });
      if (res.status !== 200) return res;
      for (const member of res.body.data) ids.add(member.id);
      if (!res.body.meta?.hasMore) break;
    }
    return ids;
  }
}

/** Rows of a read model against its source of truth, as "N missing, M extra". */
function compare(name: string, source: string[][], copy: string[][]): string[] {
  const key = (row: string[]) => row.join('|');
  const truth = new Set(source.map(key));
  const model = new Set(copy.map(key));
  const missing = [...truth].filter((row) => !model.has(row)).length;
  const extra = [...model].filter((row) => !truth.has(row)).length;
  return missing || extra ? [`${name}: ${missing} missing, ${extra} extra`] : [];
}
