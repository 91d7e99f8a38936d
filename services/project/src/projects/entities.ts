import type { ProjectStatus } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

export interface Project {
  id: string;
  organizationId: string;
  name: string;
  slug: string;
  description: string | null;
  status: ProjectStatus;
  createdByUserId: string;
  /** Bumped on every write; the ETag clients send back in If-Match. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const ProjectSchema = new EntitySchema<Project>({
  name: 'Project',
  tableName: 'projects',
  properties: {
    id: { type: 'string', primary: true },
    organizationId: { type: 'string' },
    name: { type: 'string' },
    slug: { type: 'string' },
    description: { type: 'text', nullable: true },
    status: { type: 'string' },
    createdByUserId: { type: 'string' },
    version: { type: 'integer' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export function etagOf(project: Project): string {
  return `W/"${project.version}"`;
}

export function presentProject(project: Project, creatorName: string | null) {
  return {
    id: project.id,
    organizationId: project.organizationId,
    name: project.name,
    slug: project.slug,
    description: project.description,
    status: project.status,
    createdByUserId: project.createdByUserId,
    createdByUser: { id: project.createdByUserId, fullName: creatorName },
    createdAt: project.createdAt.toISOString(),
    updatedAt: project.updatedAt.toISOString(),
  };
}
