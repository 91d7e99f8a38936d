/**
 * A bounded workload through the gateway: account workers sign up, sign in, create and use PATs,
 * create and list projects; one invitation worker signs up invitees, verifies them from the
 * mailed link, invites and accepts. Every 2xx write is kept, with what is needed to read it back.
 */
import type { TestSmtpServer } from '../../services/identity/test/smtp.js';
import { PASSWORD } from '../support/flows.js';
import { HttpClient, type Recorder } from './http.js';

export type WriteKind = 'user' | 'api_key' | 'project' | 'member';

export interface Account {
  email: string;
  userId?: string;
  cookie?: string;
  pat?: string;
  organizationId?: string;
  verified?: boolean;
}

export interface Write {
  kind: WriteKind;
  id: string;
  at: number;
  /** Whose credentials read it back (the creator; for a member, the inviting owner). */
  account: Account;
  organizationId?: string;
  /** The unique name it was created with (projects, keys): duplicates are found by it. */
  name?: string;
}

/** Kinds the account workers issue many times a second: recovery is measured on them. */
export const PROBE_KINDS = ['sign-up', 'sign-in', 'orgs', 'pat-create', 'pat-use', 'project-create', 'project-list'];

const SCOPES = ['user:read', 'projects:read', 'projects:write'];
const PACE_MS = 25;
const MAIL_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ok = (status: number | null) => status !== null && status >= 200 && status < 300;

/** Lets the harness pause the workers (for a quiet consistency check) and stop them. */
export class Gate {
  private paused = false;
  stopped = false;
  private inFlight = 0;

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }
  /** Resolves once no worker is inside an operation (bounded by the clients' timeout). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(20);
  }
  /** Waits while paused; false once stopped. Each worker operation runs between enter and leave. */
  async enter(): Promise<boolean> {
    while (this.paused && !this.stopped) await sleep(50);
    if (this.stopped) return false;
    this.inFlight += 1;
    return true;
  }
  leave(): void {
    this.inFlight -= 1;
  }
}

export interface WorkloadOptions {
  gatewayUrl: string;
  addresses: string[];
  accountWorkers: number;
  timeoutMs: number;
  maxRequests: number;
  smtp: TestSmtpServer;
}

export class Workload {
  readonly writes: Write[] = [];
  readonly gate = new Gate();
  private readonly clients: HttpClient[] = [];
  private running: Promise<unknown>[] = [];
  private sequence = 0;

  constructor(
    private readonly options: WorkloadOptions,
    private readonly recorder: Recorder,
  ) {}

  start(): void {
    const { accountWorkers, addresses } = this.options;
    for (let index = 0; index <= accountWorkers; index += 1) {
      const address = addresses[index % addresses.length]!;
      const label = index < accountWorkers ? `w${index}` : 'invites';
      const client = new HttpClient(this.options.gatewayUrl, label, address, this.recorder, this.options.timeoutMs);
      this.clients.push(client);
      this.running.push(index < accountWorkers ? this.accountWorker(client, index) : this.inviteWorker(client));
    }
  }

  async stop(): Promise<void> {
    await this.gate.stop();
    await Promise.allSettled(this.running);
    for (const client of this.clients) client.close();
  }

  private budgetLeft(): boolean {
    return this.recorder.samples.length < this.options.maxRequests;
  }

  private unique(label: string): string {
    this.sequence += 1;
    return `${label}-${Date.now().toString(36)}-${this.sequence}`;
  }

  private record(kind: WriteKind, id: string, account: Account, extra: Partial<Write> = {}): void {
    this.writes.push({ kind, id, at: Date.now(), account, ...extra });
  }

  /** Brings an account one step further (sign-up → sign-in → organization → PAT); true when complete. */
  private async advance(client: HttpClient, account: Account): Promise<boolean> {
    if (!account.userId) {
      const res = await client.call('sign-up', 'POST', '/api/auth/sign-up/email', {
        // Names differ: concurrent sign-ups of one name race for its handle (409 HANDLE_TAKEN), not what is measured here.
        json: { email: account.email, password: PASSWORD, name: this.unique('Chaos worker') },
      });
      // 409: an earlier attempt committed although its answer was lost (a 503 mid-commit): a new address.
      if (res.status === 409) account.email = `${this.unique('chaos-retry')}@example.com`;
      if (!ok(res.status)) return false;
      account.userId = res.body.data.id;
      this.record('user', res.body.data.id, account);
    }
    if (!account.cookie && !(await this.signIn(client, account))) return false;
    if (!account.organizationId) {
      // The default organization is provisioned from the user.registered event: it may lag.
      const res = await client.call('orgs', 'GET', '/api/user/organizations', { headers: { cookie: account.cookie! } });
      if (!ok(res.status) || !res.body.data[0]) return false;
      account.organizationId = res.body.data[0].id;
    }
    if (!account.pat) {
      const key = await this.createKey(client, account);
      if (!key) return false;
      account.pat = key;
    }
    return true;
  }

  private async signIn(client: HttpClient, account: Account): Promise<boolean> {
    const res = await client.call('sign-in', 'POST', '/api/auth/sign-in/email', {
      json: { email: account.email, password: PASSWORD },
    });
    if (ok(res.status) && res.cookie) account.cookie = res.cookie;
    return ok(res.status);
  }

  private async createKey(client: HttpClient, account: Account): Promise<string | null> {
    const name = this.unique('key');
    const res = await client.call('pat-create', 'POST', '/api/auth/api-key/create', {
      json: { name, scopes: SCOPES },
      headers: { cookie: account.cookie! },
    });
    if (!ok(res.status)) return null;
    this.record('api_key', res.body.data.id, account, { name });
    return res.body.data.key;
  }

  /**
   * Uses its current account (PATs, projects, sign-ins) while a new one is being set up beside it,
   * so every kind of request keeps flowing through a fault and its recovery is seen as it happens.
   */
  private async accountWorker(client: HttpClient, index: number): Promise<void> {
    const fresh = (): Account => ({ email: `${this.unique(`chaos-w${index}`)}@example.com` });
    let current: Account | null = null;
    let pending: Account | null = fresh();
    while (this.budgetLeft() && (await this.gate.enter())) {
      try {
        if (pending && (!current || Math.random() < 0.3)) {
          if (await this.advance(client, pending)) [current, pending] = [pending, null];
          continue;
        }
        const account = current!;
        const pick = Math.random();
        const projects = `/api/user/organizations/${account.organizationId}/projects`;
        const withPat = { 'x-api-key': account.pat! };
        if (pick < 0.3) {
          await client.call('pat-use', 'GET', '/api/user/me', { headers: withPat });
        } else if (pick < 0.55) {
          const name = this.unique('project');
          const res = await client.call('project-create', 'POST', projects, { json: { name }, headers: withPat });
          if (ok(res.status)) {
            this.record('project', res.body.data.id, account, { organizationId: account.organizationId!, name });
          }
        } else if (pick < 0.8) {
          await client.call('project-list', 'GET', `${projects}?limit=20`, { headers: withPat });
        } else if (pick < 0.87) {
          await this.signIn(client, account);
        } else if (pick < 0.93) {
          await this.createKey(client, account);
        } else {
          pending ??= fresh(); // sign-ups keep flowing through every fault
        }
      } finally {
        this.gate.leave();
        await sleep(PACE_MS);
      }
    }
  }

  /** The owner invites fresh, verified users into its organization; each accepts. */
  private async inviteWorker(client: HttpClient): Promise<void> {
    const owner: Account = { email: `${this.unique('chaos-owner')}@example.com` };
    let invitee: Account | null = null;
    let inviteToken: string | null = null;
    while (this.budgetLeft() && (await this.gate.enter())) {
      try {
        if (!(await this.advance(client, owner))) continue;
        // Inviting needs a verified address too; the owner's link is mailed once, so it is kept trying.
        if (!owner.verified) {
          await this.verify(client, owner);
          continue;
        }
        if (!invitee) {
          invitee = { email: `${this.unique('chaos-invitee')}@example.com` };
          inviteToken = null;
        }
        if (!invitee.userId || !invitee.cookie) {
          if (!invitee.userId) {
            const res = await client.call('sign-up', 'POST', '/api/auth/sign-up/email', {
              json: { email: invitee.email, password: PASSWORD, name: this.unique('Chaos invitee') },
            });
            if (!ok(res.status)) {
              invitee = null;
              continue;
            }
            invitee.userId = res.body.data.id;
            this.record('user', res.body.data.id, invitee);
          }
          await this.signIn(client, invitee);
          continue;
        }
        if (!invitee.verified) {
          // Its mail never came (within the bound): start over with a new one.
          if ((await this.verify(client, invitee)) === null) invitee = null;
          continue;
        }
        if (!inviteToken) {
          const res = await client.call(
            'invite-create',
            'POST',
            `/api/user/organizations/${owner.organizationId}/invites`,
            { json: { email: invitee.email, role: 'member' }, headers: { cookie: owner.cookie! } },
          );
          if (!ok(res.status)) {
            if (res.status === 409) invitee = null; // a retried invite already exists: start over
            continue;
          }
          inviteToken = await this.mailedToken(invitee.email, '/accept-invite?token=');
          if (!inviteToken) invitee = null;
          continue;
        }
        const res = await client.call('invite-accept', 'POST', `/api/user/invites/${inviteToken}/accept`, {
          headers: { cookie: invitee.cookie },
        });
        if (ok(res.status)) {
          this.record('member', res.body.data.id, owner, { organizationId: owner.organizationId! });
          invitee = null;
        } else if (res.status !== null && res.status < 500 && res.body?.code !== 'EMAIL_NOT_VERIFIED') {
          invitee = null; // refused for good (used, expired): a new invitee
        }
        // else: retry the accept (the verification event may still be on its way)
      } finally {
        this.gate.leave();
        await sleep(PACE_MS * 4);
      }
    }
  }

  /** Follows the mailed verification link; null when no mail came within the bound. */
  private async verify(client: HttpClient, account: Account): Promise<boolean | null> {
    const token = await this.mailedToken(account.email, '/verify-email?token=');
    if (!token) return null;
    // With its own session: verifying from elsewhere would end every credential of the account.
    const res = await client.call('verify-email', 'GET', `/api/auth/verify-email?token=${token}`, {
      headers: { cookie: account.cookie! },
    });
    account.verified = ok(res.status);
    return account.verified;
  }

  /** The token of the newest mail to this address whose link contains `path` (bounded wait). */
  private async mailedToken(
    email: string,
    path: string,
    extract: (link: string) => string | undefined = (link) => new URL(link).searchParams.get('token') ?? undefined,
  ): Promise<string | null> {
    const deadline = Date.now() + MAIL_WAIT_MS;
    while (Date.now() < deadline && !this.gate.stopped) {
      const link = this.options.smtp.linkTo(email, path);
      const token = link ? extract(link) : undefined;
      if (token) return token;
      await sleep(100);
    }
    return null;
  }
}
