import { randomInt } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OrganizationSchema } from './entities.js';

export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  return slug || 'org';
}

/** The name's slug, or the same with a short random suffix when taken. */
export async function availableSlug(em: EntityManager, name: string): Promise<string> {
  const base = slugify(name);
  if (!(await em.findOne(OrganizationSchema, { slug: base }))) return base;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = `${base}-${randomInt(1000, 1_000_000)}`;
    if (!(await em.findOne(OrganizationSchema, { slug: candidate }))) return candidate;
  }
  throw new Error('no free slug found');
}
