import { serviceConfigProperties } from '@gatehouse/service-kit';
import { type Static, Type } from 'typebox';

export const ProjectConfig = Type.Object({ ...serviceConfigProperties('project', 4003) });
export type ProjectConfig = Static<typeof ProjectConfig>;
