import { KIT_TABLES_SQL } from '@gatehouse/service-kit';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql('create extension if not exists pg_trgm');
    this.addSql(`create table projects (
      id varchar(26) primary key,
      organization_id varchar(26) not null,
      name varchar(100) not null,
      slug varchar(63) not null,
      description varchar(2000) null,
      status varchar(10) not null check (status in ('draft', 'active', 'paused')),
      created_by_user_id varchar(26) not null,
      version int not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (organization_id, slug)
    )`);
    // Every list order is (organization, sort field, id): the keyset walk and offset pages use these.
    this.addSql('create index projects_org_created_idx on projects (organization_id, created_at, id)');
    this.addSql('create index projects_org_updated_idx on projects (organization_id, updated_at, id)');
    this.addSql('create index projects_org_name_idx on projects (organization_id, name, id)');
    this.addSql('create index projects_name_trgm_idx on projects using gin (name gin_trgm_ops)');
    this.addSql(`create table memberships (
      organization_id varchar(26) not null,
      user_id varchar(26) not null,
      role varchar(10) not null,
      primary key (organization_id, user_id)
    )`);
    this.addSql(`create table users (
      user_id varchar(26) primary key,
      full_name varchar(100) not null
    )`);
  }
}
