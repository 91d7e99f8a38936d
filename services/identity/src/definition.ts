import type { ServiceDefinition } from '@gatehouse/service-kit';
import { QueuedMailSchema } from '@gatehouse/service-kit';
import { migrations } from '../migrations/index.js';
import { UserSchema } from './accounts/entities.js';
import { ApiKeySchema } from './api-keys/entities.js';
import { UserMembershipSchema } from './memberships/entities.js';
import { LoginEventSchema, SessionSchema } from './sessions/entities.js';
import { OneTimeTokenSchema } from './verification/entities.js';

export const identityService: ServiceDefinition = {
  name: 'identity',
  entities: [
    UserSchema,
    SessionSchema,
    LoginEventSchema,
    OneTimeTokenSchema,
    ApiKeySchema,
    QueuedMailSchema,
    UserMembershipSchema,
  ],
  migrations,
};
