import { randomInt } from 'node:crypto';
import { slugify } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OrganizationSchema } from './entities.js';

/** The name's slug, or the same with a short random suffix when taken. */
export async function availableSlug(em: EntityManager, name: string): Promise<string> {
  const base = slugify(name) || 'org';
  if (!(await em.findOne(OrganizationSchema, { slug: base }))) return base;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = `${base}-${randomInt(1000, 1_000_000)}`;
    if (!(await em.findOne(OrganizationSchema, { slug: candidate }))) return candidate;
  }
  throw new Error('no free slug found');
}
