import { KIT_TABLES_SQL, MAIL_OUTBOX_TABLE_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000000_initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    for (const sql of MAIL_OUTBOX_TABLE_SQL) this.addSql(sql);

    // One hash chain per log: `org:<organizationId>` or `user:<userId>`. The head is locked to append, so a
    // log's records get consecutive sequences in commit order; the anchor is the last record retention pruned.
    this.addSql(`create table audit_chains (
      chain_key varchar(40) primary key,
      last_sequence bigint not null default 0,
      last_hash char(64) not null,
      anchor_sequence bigint not null default 0,
      anchor_hash char(64) not null
    )`);
    this.addSql(`create table audit_records (
      id varchar(26) primary key,
      chain_key varchar(40) not null,
      sequence bigint not null,
      organization_id varchar(26) null,
      user_id varchar(26) null,
      action varchar(64) not null,
      actor_type varchar(16) not null,
      actor_id varchar(64) not null,
      actor_user_id varchar(26) null,
      actor_name varchar(200) null,
      target_type varchar(32) not null,
      target_id varchar(64) not null,
      target_name varchar(300) null,
      changes jsonb null,
      outcome varchar(8) not null check (outcome in ('success', 'failure')),
      reason varchar(64) null,
      ip varchar(64) null,
      user_agent varchar(512) null,
      request_id varchar(128) null,
      occurred_at timestamptz not null,
      event_id varchar(26) null,
      previous_hash char(64) not null,
      hash char(64) not null,
      unique (chain_key, sequence),
      check ((organization_id is null) <> (user_id is null))
    )`);
    // Lists and exports walk one log (its chain) by sequence; the filters narrow within it. `action` families
    // are prefix matches, hence the pattern operator class (a non-C collation's btree cannot serve LIKE 'x.%').
    this.addSql('create index audit_records_chain_actor_idx on audit_records (chain_key, actor_id, sequence)');
    this.addSql(
      'create index audit_records_chain_actor_user_idx on audit_records (chain_key, actor_user_id, sequence)',
    );
    this.addSql('create index audit_records_chain_target_idx on audit_records (chain_key, target_id, sequence)');
    this.addSql(
      'create index audit_records_chain_action_idx on audit_records (chain_key, action varchar_pattern_ops, sequence)',
    );
    this.addSql('create index audit_records_chain_occurred_idx on audit_records (chain_key, occurred_at, sequence)');

    this.addSql(`create table audit_settings (
      organization_id varchar(26) primary key,
      retention_days int not null,
      updated_at timestamptz not null
    )`);

    // Read models kept from the events: names for actors and targets, owners to mail, roles for access.
    this.addSql(`create table people (
      user_id varchar(26) primary key,
      email varchar(320) not null,
      name varchar(200) not null
    )`);
    this.addSql(`create table organizations (
      organization_id varchar(26) primary key,
      name varchar(200) not null,
      slug varchar(63) not null
    )`);
    this.addSql(`create table memberships (
      organization_id varchar(26) not null,
      user_id varchar(26) not null,
      role varchar(10) not null,
      primary key (organization_id, user_id)
    )`);

    this.addSql(`create table webhooks (
      id varchar(26) primary key,
      organization_id varchar(26) not null,
      url varchar(2048) not null,
      events jsonb not null,
      description varchar(500) null,
      enabled boolean not null default true,
      disabled_reason varchar(64) null,
      secret_sealed text not null,
      secret_start varchar(16) not null,
      previous_secret_sealed text null,
      previous_secret_expires_at timestamptz null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql('create index webhooks_org_idx on webhooks (organization_id, id)');
    // One row per message to one endpoint. Pending ones leave in `position` order per endpoint (head of line):
    // a record's deliveries are inserted while its chain's head is locked, so positions follow the chain's
    // order whichever replica (and clock) wrote them; ids (ULIDs) would follow the clocks.
    this.addSql(`create table webhook_deliveries (
      id varchar(26) primary key,
      position bigserial not null,
      webhook_id varchar(26) not null references webhooks (id) on delete cascade,
      message_id varchar(40) not null,
      event_type varchar(64) not null,
      record_id varchar(26) null,
      payload jsonb not null,
      status varchar(10) not null check (status in ('pending', 'succeeded', 'failed')),
      attempts int not null default 0,
      next_attempt_at timestamptz null,
      attempt_log jsonb not null default '[]',
      created_at timestamptz not null,
      completed_at timestamptz null
    )`);
    this.addSql(
      "create index webhook_deliveries_pending_idx on webhook_deliveries (webhook_id, position) where status = 'pending'",
    );
    this.addSql('create index webhook_deliveries_log_idx on webhook_deliveries (webhook_id, id)');
    // The retention sweep's condition (finished messages are kept 30 days).
    this.addSql(
      "create index webhook_deliveries_finished_idx on webhook_deliveries (completed_at) where status <> 'pending'",
    );
  }
}
