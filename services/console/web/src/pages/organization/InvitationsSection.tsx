import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call } from '../../api/client';
import { codeOf, fieldErrorsOf, isStatus, messageOf, reasonOf } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, formValues, SelectField, SubmitButton } from '../../components/forms';
import { EmptyList, Pager, useCursorPages } from '../../components/Pager';
import { formatDate } from '../../components/When';
import { ActionOutcome, ApiRefusal, type Outcome } from './ActionOutcome';
import { assignableRoles, fetchInvites, type Invite, invitesKey, membersKey, ROLE_LABELS, type Role } from './queries';

const PAGE_SIZE = 20;

/** Managers' invitations: the invite form and the unaccepted invitations (resend, revoke). */
export function InvitationsSection({ organizationId, myRole }: { organizationId: string; myRole: Role }) {
  const queryClient = useQueryClient();
  const pages = useCursorPages();
  const [outcome, setOutcome] = useState<Outcome>(null);

  const invites = useQuery({
    queryKey: [...invitesKey(organizationId), { cursor: pages.cursor }],
    queryFn: () => fetchInvites(organizationId, { limit: PAGE_SIZE, cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: invitesKey(organizationId) });

  const resend = useMutation({
    mutationFn: (invite: Invite) =>
      call(
        api.POST('/api/user/organizations/{organizationId}/invites/{inviteId}/resend', {
          params: { path: { organizationId, inviteId: invite.id } },
        }),
      ),
    onMutate: () => setOutcome(null),
    onSuccess: async (invite) => {
      await refresh();
      setOutcome({
        kind: 'success',
        text: `The invitation to ${invite.email} was sent again. The earlier link no longer works.`,
      });
    },
    onError: (error) => setOutcome({ kind: 'error', error }),
  });

  const revoke = useMutation({
    mutationFn: (invite: Invite) =>
      call(
        api.DELETE('/api/user/organizations/{organizationId}/invites/{inviteId}', {
          params: { path: { organizationId, inviteId: invite.id } },
        }),
      ),
    onMutate: () => setOutcome(null),
    onSuccess: async (_answer, invite) => {
      await refresh();
      setOutcome({ kind: 'success', text: `The invitation to ${invite.email} was revoked. Its link no longer works.` });
    },
    onError: async (error) => {
      setOutcome({ kind: 'error', error });
      // Accepted or revoked meanwhile: the list shows what is left.
      if (isStatus(error, 404)) await refresh();
    },
  });

  return (
    <>
      <section className="section" aria-labelledby="invite-heading">
        <h2 id="invite-heading">Invite someone</h2>
        <InviteForm organizationId={organizationId} myRole={myRole} onInvited={refresh} />
      </section>
      <section className="section" aria-labelledby="invitations-heading">
        <h2 id="invitations-heading">Pending invitations</h2>
        <ActionOutcome outcome={outcome} />
        {invites.isPending ? <Loading what="Loading invitations" /> : null}
        {invites.isError ? <LoadError error={invites.error} retry={() => invites.refetch()} /> : null}
        {invites.data && invites.data.items.length === 0 ? (
          <EmptyList pages={pages} nextCursor={invites.data.nextCursor}>
            No pending invitations.
          </EmptyList>
        ) : null}
        {invites.data && invites.data.items.length > 0 ? (
          <>
            <div className="table-wrap">
              <table className="compact-table">
                <caption className="visually-hidden">Pending invitations</caption>
                <thead>
                  <tr>
                    <th scope="col">Invitation</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {invites.data.items.map((invite) => (
                    <tr key={invite.id}>
                      <td>
                        <span className="member-name">{invite.email}</span>
                        <span className="member-detail muted">As {ROLE_LABELS[invite.role].toLowerCase()}</span>
                      </td>
                      <td>
                        {invite.status === 'expired' ? (
                          <span className="badge badge-warning">Expired</span>
                        ) : (
                          <span className="badge">Pending</span>
                        )}
                        <span className="member-detail muted">
                          {invite.status === 'expired' ? 'Expired on ' : 'Expires on '}
                          <time dateTime={invite.expiresAt}>{formatDate(invite.expiresAt)}</time>
                        </span>
                      </td>
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button button-small"
                            aria-label={`Resend invitation to ${invite.email}`}
                            disabled={resend.isPending && resend.variables?.id === invite.id}
                            onClick={() => resend.mutate(invite)}
                          >
                            Resend
                          </button>
                          <ConfirmButton
                            label="Revoke"
                            accessibleLabel={`Revoke invitation to ${invite.email}`}
                            title={`Revoke the invitation to ${invite.email}?`}
                            confirmLabel="Revoke invitation"
                            pending={revoke.isPending && revoke.variables?.id === invite.id}
                            onConfirm={() => revoke.mutate(invite)}
                          >
                            <p>The mailed link stops working. You can invite {invite.email} again later.</p>
                          </ConfirmButton>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager pages={pages} nextCursor={invites.data.nextCursor} busy={invites.isPlaceholderData} />
          </>
        ) : null}
      </section>
    </>
  );
}

/** The conflicts that are about the address typed (already a member, already invited). */
const EMAIL_CONFLICTS = new Set(['ALREADY_MEMBER', 'INVITE_PENDING']);

function InviteForm({
  organizationId,
  myRole,
  onInvited,
}: {
  organizationId: string;
  myRole: Role;
  onInvited: () => Promise<unknown>;
}) {
  const queryClient = useQueryClient();
  const [sent, setSent] = useState<Invite | null>(null);
  // A new key empties the form after an invitation went out.
  const [formKey, setFormKey] = useState(0);
  const invite = useMutation({
    mutationFn: (body: { email: string; role: Role }) =>
      call(
        api.POST('/api/user/organizations/{organizationId}/invites', { params: { path: { organizationId } }, body }),
      ),
    onMutate: () => setSent(null),
    onSuccess: async (created) => {
      await onInvited();
      setSent(created);
      setFormKey((key) => key + 1);
      await queryClient.invalidateQueries({ queryKey: membersKey(organizationId) });
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { email = '', role = 'member' } = formValues(event.currentTarget);
    invite.mutate({ email: email.trim(), role: role as Role });
  };

  const errors = fieldErrorsOf(invite.error);
  const reason = reasonOf(invite.error);
  const emailConflict = codeOf(invite.error) === 'CONFLICT' && reason && EMAIL_CONFLICTS.has(reason);
  const emailError = errors.email ?? (emailConflict ? messageOf(invite.error) : undefined);
  // Everything not tied to an input (unverified account, permissions) shows above the form.
  const formError = invite.error && !emailError && !errors.role ? invite.error : null;
  return (
    <form key={formKey} className="invite-form" onSubmit={submit} noValidate aria-labelledby="invite-heading">
      {sent ? (
        <Notice kind="success">
          Invitation sent to {sent.email}. Its link works once, for that address, until{' '}
          <time dateTime={sent.expiresAt}>{formatDate(sent.expiresAt)}</time>.
        </Notice>
      ) : null}
      <ApiRefusal error={formError} />
      <div className="form-row">
        <Field name="email" label="Email" type="email" autoComplete="off" required maxLength={254} error={emailError} />
        <SelectField
          name="role"
          label="Role"
          defaultValue="member"
          options={assignableRoles(myRole)}
          error={errors.role}
        />
        <div className="actions">
          <SubmitButton pending={invite.isPending}>Send invitation</SubmitButton>
        </div>
      </div>
    </form>
  );
}
