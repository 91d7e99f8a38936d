import { MAIL_RETENTION, QueuedMailSchema, type ServiceDefinition } from '@gatehouse/service-kit';
import { migrations } from '../migrations/index.js';
import { DirectoryUserSchema } from './directory/entities.js';
import { InviteSchema } from './invites/entities.js';
import { MemberSchema, OrganizationSchema } from './organizations/entities.js';

export const organizationService: ServiceDefinition = {
  name: 'organization',
  entities: [OrganizationSchema, MemberSchema, InviteSchema, DirectoryUserSchema, QueuedMailSchema],
  migrations,
  retention: [
    ...MAIL_RETENTION,
    { table: 'invites', expired: "accepted_at is null and expires_at < now() - interval '30 days'" },
  ],
};
