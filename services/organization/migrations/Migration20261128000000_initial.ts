import { KIT_TABLES_SQL, MAIL_OUTBOX_TABLE_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...KIT_TABLES_SQL, ...MAIL_OUTBOX_TABLE_SQL]) this.addSql(sql);
    this.addSql(`create table organizations (
      id varchar(26) primary key,
      name varchar(100) not null,
      slug varchar(63) not null unique,
      default_for_user_id varchar(26) null unique,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql(`create table members (
      id varchar(26) primary key,
      organization_id varchar(26) not null references organizations (id) on delete cascade,
      user_id varchar(26) not null,
      role varchar(10) not null check (role in ('owner', 'admin', 'member')),
      joined_at timestamptz not null,
      unique (organization_id, user_id)
    )`);
    this.addSql('create index members_user_idx on members (user_id)');
    this.addSql('create index members_org_joined_idx on members (organization_id, joined_at, id)');
    this.addSql(`create table invites (
      id varchar(26) primary key,
      organization_id varchar(26) not null references organizations (id) on delete cascade,
      email varchar(254) not null,
      role varchar(10) not null check (role in ('owner', 'admin', 'member')),
      token_hash char(64) not null unique,
      invited_by_user_id varchar(26) not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      accepted_at timestamptz null,
      accepted_by_user_id varchar(26) null
    )`);
    this.addSql('create index invites_org_idx on invites (organization_id, email)');
    this.addSql(`create table directory_users (
      user_id varchar(26) primary key,
      email varchar(254) not null,
      name varchar(100) not null,
      is_verified boolean not null default false
    )`);
    this.addSql('create index directory_users_email_idx on directory_users (email)');
  }
}
