import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { canManageMembers, forgetOrganization, ORGANIZATIONS_KEY } from '../../api/organizations';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading } from '../../components/feedback';
import { Field, formValues } from '../../components/forms';
import { EmptyList, Pager, useCursorPages } from '../../components/Pager';
import { formatDate } from '../../components/When';
import { ActionOutcome, type Outcome } from './ActionOutcome';
import {
  assignableRoles,
  fetchMembers,
  type Member,
  type Membership,
  membershipKey,
  membersKey,
  ROLE_LABELS,
  type Role,
} from './queries';

const PAGE_SIZE = 20;

function nameOf(member: Member): string {
  return member.name ?? member.email ?? 'this member';
}

/** The members table: everyone sees it; managers change roles and remove; anyone may leave. */
export function MembersSection({
  organizationId,
  organizationName,
  me,
}: {
  organizationId: string;
  organizationName: string;
  me: Membership;
}) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const pages = useCursorPages();
  const [search, setSearch] = useState('');
  const [outcome, setOutcome] = useState<Outcome>(null);
  const manager = canManageMembers(me.role);

  const members = useQuery({
    queryKey: [...membersKey(organizationId), { cursor: pages.cursor, q: search }],
    queryFn: () => fetchMembers(organizationId, { limit: PAGE_SIZE, cursor: pages.cursor, q: search }),
    placeholderData: keepPreviousData,
  });

  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) =>
      call(
        api.PUT('/api/user/organizations/{organizationId}/members/{memberId}/role', {
          params: { path: { organizationId, memberId: member.id } },
          body: { role },
        }),
      ),
    onMutate: () => setOutcome(null),
    onSuccess: async (changed, { member }) => {
      // The table is read again before the notice, so both tell the same.
      await queryClient.invalidateQueries({ queryKey: membersKey(organizationId) });
      setOutcome({ kind: 'success', text: `${nameOf(member)} is now ${ROLE_LABELS[changed.role].toLowerCase()}.` });
      // My own role decides what this screen (and the others) offer me.
      if (member.userId === me.userId) {
        await queryClient.invalidateQueries({ queryKey: membershipKey(organizationId) });
        await queryClient.invalidateQueries({ queryKey: ORGANIZATIONS_KEY });
      }
    },
    onError: (error) => setOutcome({ kind: 'error', error }),
  });

  const remove = useMutation({
    mutationFn: (member: Member) =>
      call(
        api.DELETE('/api/user/organizations/{organizationId}/members/{memberId}', {
          params: { path: { organizationId, memberId: member.id } },
        }),
      ),
    onMutate: () => setOutcome(null),
    onSuccess: async (_answer, member) => {
      if (member.userId === me.userId) {
        // I left: nothing of this organization is mine to see any more.
        await forgetOrganization(queryClient, navigate, organizationId);
        return;
      }
      await queryClient.invalidateQueries({ queryKey: membersKey(organizationId) });
      setOutcome({ kind: 'success', text: `${nameOf(member)} was removed from ${organizationName}.` });
    },
    onError: (error) => setOutcome({ kind: 'error', error }),
  });

  const submitSearch = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSearch((formValues(event.currentTarget).q ?? '').trim());
    // A cursor is only good for the search it came from.
    pages.reset();
  };

  return (
    <section className="section" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <search aria-label="Members">
        <form className="toolbar" onSubmit={submitSearch}>
          <Field name="q" label="Search by name or email" type="search" autoComplete="off" defaultValue={search} />
          <button type="submit" className="button">
            Search
          </button>
        </form>
      </search>
      <ActionOutcome outcome={outcome} />
      {members.isPending ? <Loading what="Loading members" /> : null}
      {members.isError ? <LoadError error={members.error} retry={() => members.refetch()} /> : null}
      {members.data && members.data.items.length === 0 ? (
        <EmptyList pages={pages} nextCursor={members.data.nextCursor}>
          {search ? `No member matches “${search}”.` : 'No members.'}
        </EmptyList>
      ) : null}
      {members.data && members.data.items.length > 0 ? (
        <>
          <div className="table-wrap">
            <table className="compact-table">
              <caption className="visually-hidden">Members of {organizationName}</caption>
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  <th scope="col">Two-step</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.items.map((member) => {
                  const mine = member.userId === me.userId;
                  // Only owners make, unmake or remove owners.
                  const ownerOnly = member.role === 'owner' && me.role !== 'owner';
                  return (
                    <tr key={member.id}>
                      <td>
                        <span className="member-name">
                          {member.name ?? 'Unknown name'}
                          {mine ? <span className="muted"> (you)</span> : null}
                        </span>
                        <span className="member-detail muted">{member.email ?? 'Unknown email'}</span>
                        <span className="member-detail muted">
                          Joined <time dateTime={member.joinedAt}>{formatDate(member.joinedAt)}</time>
                        </span>
                      </td>
                      <td>
                        {manager && !ownerOnly ? (
                          <RoleControl
                            member={member}
                            myRole={me.role}
                            pending={changeRole.isPending && changeRole.variables?.member.id === member.id}
                            onChange={(role, undo) => changeRole.mutate({ member, role }, { onError: undo })}
                          />
                        ) : (
                          ROLE_LABELS[member.role]
                        )}
                      </td>
                      <td data-testid="member-mfa">
                        {member.mfaEnabled ? (
                          <span className="badge badge-success">On</span>
                        ) : (
                          <span className="badge badge-warning">Off</span>
                        )}
                      </td>
                      <td>
                        {mine ? (
                          <ConfirmButton
                            label="Leave"
                            accessibleLabel={`Leave ${organizationName}`}
                            title={`Leave ${organizationName}?`}
                            confirmLabel="Leave organization"
                            pending={remove.isPending}
                            onConfirm={() => remove.mutate(member)}
                          >
                            <p>You lose access to its projects at once. Only a new invitation brings you back.</p>
                          </ConfirmButton>
                        ) : manager && !ownerOnly ? (
                          <ConfirmButton
                            label="Remove"
                            accessibleLabel={`Remove ${nameOf(member)}`}
                            title={`Remove ${nameOf(member)}?`}
                            confirmLabel="Remove member"
                            pending={remove.isPending && remove.variables?.id === member.id}
                            onConfirm={() => remove.mutate(member)}
                          >
                            <p>
                              {nameOf(member)} loses access to {organizationName} and its projects at once.
                            </p>
                          </ConfirmButton>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pager pages={pages} nextCursor={members.data.nextCursor} busy={members.isPlaceholderData} />
        </>
      ) : null}
    </section>
  );
}

/**
 * A role select and its Save button: choosing is not yet changing (a keyboard user's arrow keys
 * walk through the options, and each step must not be a request).
 */
function RoleControl({
  member,
  myRole,
  pending,
  onChange,
}: {
  member: Member;
  myRole: Role;
  pending: boolean;
  /** `undo` puts the select back when the API refuses. */
  onChange: (role: Role, undo: () => void) => void;
}) {
  const [role, setRole] = useState<Role>(member.role);
  const [shownRole, setShownRole] = useState<Role>(member.role);
  // The member's role changed (saved, or refused and read again): the select follows it.
  if (shownRole !== member.role) {
    setShownRole(member.role);
    setRole(member.role);
  }
  const options = assignableRoles(myRole);
  if (!options.some((option) => option.value === member.role))
    options.push({ value: member.role, label: ROLE_LABELS[member.role] });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onChange(role, () => setRole(member.role));
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <select
        aria-label={`Role of ${nameOf(member)}`}
        value={role}
        onChange={(event) => setRole(event.target.value as Role)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <button
        type="submit"
        className="button button-small"
        aria-label={`Save role of ${nameOf(member)}`}
        disabled={pending || role === member.role}
      >
        {pending ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}
