import { createdWith, fieldChanges } from '@gatehouse/service-kit';
import { describe, expect, it } from 'vitest';
import { projectChanges } from '../src/activity.js';

/** The one diff every producer's records use (service-kit activity.ts), as the project's update applies it. */
describe('fieldChanges', () => {
  const project = { name: 'Apollo', slug: 'apollo', description: null, status: 'draft' as const };

  it('names only the listed fields that changed, before and after', () => {
    const after = { ...project, name: 'Artemis', status: 'active' as const };
    expect(projectChanges(project, after)).toEqual({
      name: { before: 'Apollo', after: 'Artemis' },
      status: { before: 'draft', after: 'active' },
    });
    expect(fieldChanges({ ...project, secret: 'a' }, { ...project, secret: 'b' }, ['name', 'slug'])).toBeUndefined();
  });

  it('is undefined when nothing changed, so no record is made', () => {
    expect(projectChanges(project, { ...project })).toBeUndefined();
  });

  it('compares arrays and objects by content, and tells null from a value', () => {
    const rules = { roleMapping: [{ group: 'Eng', role: 'admin' }], defaultRole: 'member' };
    const same = { roleMapping: [{ group: 'Eng', role: 'admin' }], defaultRole: 'member' };
    expect(fieldChanges(rules, same, ['roleMapping', 'defaultRole'])).toBeUndefined();
    const moved = { ...same, roleMapping: [{ group: 'Eng', role: 'member' }] };
    expect(fieldChanges(rules, moved, ['roleMapping'])).toEqual({
      roleMapping: { before: rules.roleMapping, after: moved.roleMapping },
    });
    expect(projectChanges(project, { ...project, description: '' })).toEqual({
      description: { before: null, after: '' },
    });
  });

  it('records what a creation set as after values', () => {
    expect(createdWith({ name: 'Okta', roleMapping: [] })).toEqual({
      name: { after: 'Okta' },
      roleMapping: { after: [] },
    });
  });
});
