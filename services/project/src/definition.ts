import type { ServiceDefinition } from '@gatehouse/service-kit';
import { migrations } from '../migrations/index.js';
import { MembershipSchema, ProjectUserSchema } from './memberships/entities.js';
import { ProjectSchema } from './projects/entities.js';

export const projectService: ServiceDefinition = {
  name: 'project',
  entities: [ProjectSchema, MembershipSchema, ProjectUserSchema],
  migrations,
};
