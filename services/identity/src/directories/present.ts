import type { Role } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import { scimBaseUrl } from '../scim/base-url.js';
import type { Directory } from './entities.js';

/** What the console shows of a directory's tokens and size, read in one query. */
interface DirectoryFacts {
  token_start: string | null;
  token_created_at: Date | null;
  previous_expires_at: Date | null;
  user_count: number;
  group_count: number;
}

/**
 * A directory as the API answers it (inside the transaction that changed it, hence clock_timestamp():
 * now() is when that transaction began, before a token it ended had ended): never a token, only the first characters of the newest live one,
 * and until when the one before it still works (after a rotation with overlap).
 */
export async function presentDirectory(ctx: IdentityContext, em: EntityManager, directory: Directory) {
  const [facts] = await em.execute<DirectoryFacts[]>(
    `with live as (
       select token_start, created_at, expires_at, row_number() over (order by created_at desc, id desc) as rank
         from directory_tokens where directory_id = ? and (expires_at is null or expires_at > clock_timestamp()))
     select (select token_start from live where rank = 1) as token_start,
            (select created_at from live where rank = 1) as token_created_at,
            (select max(expires_at) from live where rank > 1) as previous_expires_at,
            (select count(*)::int from scim_users where directory_id = ? and deleted_at is null) as user_count,
            (select count(*)::int from scim_groups where directory_id = ?) as group_count`,
    [directory.id, directory.id, directory.id],
  );
  return {
    id: directory.id,
    organizationId: directory.organizationId,
    name: directory.name,
    scimBaseUrl: scimBaseUrl(ctx.config),
    defaultRole: directory.defaultRole as Role,
    roleMapping: directory.roleMapping.map(({ group, role }) => ({ group, role })),
    tokenStart: facts?.token_start ?? null,
    tokenCreatedAt: iso(facts?.token_created_at),
    previousTokenExpiresAt: iso(facts?.previous_expires_at),
    userCount: facts?.user_count ?? 0,
    groupCount: facts?.group_count ?? 0,
    lastSyncAt: iso(directory.lastSyncAt),
    createdAt: directory.createdAt.toISOString(),
    updatedAt: directory.updatedAt.toISOString(),
  };
}

export type PresentedDirectory = Awaited<ReturnType<typeof presentDirectory>>;

const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);
