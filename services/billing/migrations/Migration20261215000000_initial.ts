import { KIT_TABLES_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261215000000_initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);

    this.addSql(`create table memberships (
      organization_id varchar(26) not null,
      user_id varchar(26) not null,
      role varchar(10) not null,
      primary key (organization_id, user_id)
    )`);

    // One row per organization: its plan as Gatehouse applies it (the current subscription folded in).
    // `revision` grows with every change of what is published (billing.entitlements.changed).
    this.addSql(`create table billing_accounts (
      organization_id varchar(26) primary key,
      organization_name varchar(200) not null,
      stripe_customer_id varchar(255) null unique,
      subscription_id varchar(255) null,
      tier_id varchar(32) not null,
      status varchar(16) not null check (status in ('trialing', 'active', 'past_due', 'canceled')),
      interval varchar(8) null,
      seats int null,
      current_period_start timestamptz null,
      current_period_end timestamptz null,
      cancel_at_period_end boolean not null default false,
      past_due_since timestamptz null,
      read_only_after timestamptz null,
      read_only_recorded boolean not null default false,
      entitlements jsonb not null,
      revision bigint not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index billing_accounts_grace_idx on billing_accounts (read_only_after)
      where read_only_after is not null and not read_only_recorded`);

    // Stripe's subscriptions as last read from Stripe (never from an event's payload); synced_at orders snapshots.
    this.addSql(`create table subscriptions (
      id varchar(255) primary key,
      organization_id varchar(26) not null,
      customer_id varchar(255) not null,
      stripe_status varchar(24) not null,
      price_id varchar(255) not null,
      tier_id varchar(32) null,
      interval varchar(8) null,
      quantity int not null,
      current_period_start timestamptz null,
      current_period_end timestamptz null,
      cancel_at_period_end boolean not null,
      stripe_created timestamptz not null,
      synced_at timestamptz not null
    )`);
    this.addSql('create index subscriptions_organization_idx on subscriptions (organization_id, stripe_created desc)');

    this.addSql(`create table invoices (
      id varchar(255) primary key,
      organization_id varchar(26) not null,
      subscription_id varchar(255) null,
      number varchar(64) null,
      status varchar(16) not null,
      currency varchar(3) not null,
      amount_due bigint not null,
      amount_paid bigint not null,
      period_start timestamptz null,
      period_end timestamptz null,
      hosted_invoice_url text null,
      invoice_pdf_url text null,
      paid_at timestamptz null,
      stripe_created timestamptz not null,
      synced_at timestamptz not null
    )`);
    this.addSql('create index invoices_organization_idx on invoices (organization_id, stripe_created desc, id)');

    // Every Stripe event id handled: a redelivery or a replay is answered without doing anything again.
    this.addSql(`create table stripe_events (
      id varchar(255) primary key,
      type varchar(100) not null,
      stripe_created timestamptz not null,
      organization_id varchar(26) null,
      outcome varchar(12) not null check (outcome in ('applied', 'stale', 'ignored', 'unmatched')),
      received_at timestamptz not null default now()
    )`);

    // The checkouts Gatehouse started: a completed session must be one of these, for the organization it names.
    this.addSql(`create table checkout_sessions (
      id varchar(255) primary key,
      organization_id varchar(26) not null,
      tier_id varchar(32) not null,
      interval varchar(8) not null,
      seats int not null,
      created_by_user_id varchar(26) not null,
      created_at timestamptz not null default now()
    )`);

    this.addSql(`create table billing_settings (
      organization_id varchar(26) primary key,
      billing_email varchar(320) null,
      company_name varchar(200) null,
      address jsonb null,
      tax_id_type varchar(16) null,
      tax_id_value varchar(64) null,
      stripe_tax_id varchar(255) null,
      updated_at timestamptz not null
    )`);

    // A deleted organization's paid subscription, to cancel at Stripe (retried until Stripe says so).
    this.addSql(`create table pending_cancellations (
      subscription_id varchar(255) primary key,
      organization_id varchar(26) not null,
      attempts int not null default 0,
      next_attempt_at timestamptz not null default now()
    )`);
  }
}
