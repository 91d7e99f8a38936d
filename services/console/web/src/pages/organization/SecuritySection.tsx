import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, call } from '../../api/client';
import { codeOf, reasonOf } from '../../api/errors';
import { organizationKey } from '../../api/organizations';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { FormError, SubmitButton } from '../../components/forms';
import { formatDateTime } from '../../components/When';

const securityKey = (organizationId: string) => [...organizationKey(organizationId), 'security'] as const;

/**
 * "Require two-step verification" (owners: organization:manage-security). With it on, a member
 * without a second factor is refused on this organization's pages and API until they set one up,
 * and a session that did not prove one must do so; turning it on needs a factor of the owner's own.
 */
export function SecuritySection({ organizationId, canManage }: { organizationId: string; canManage: boolean }) {
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState<string | null>(null);
  const settings = useQuery({
    queryKey: securityKey(organizationId),
    queryFn: () =>
      call(
        api.GET('/api/user/organizations/{organizationId}/settings/security', {
          params: { path: { organizationId } },
        }),
      ),
  });
  const update = useMutation({
    mutationFn: (mfaRequired: boolean) =>
      call(
        api.PUT('/api/user/organizations/{organizationId}/settings/security', {
          params: { path: { organizationId } },
          body: { mfaRequired },
        }),
      ),
    onMutate: () => setSaved(null),
    onSuccess: (answer) => {
      queryClient.setQueryData(securityKey(organizationId), answer);
      setSaved(answer.mfaRequired ? 'Two-step verification is now required.' : 'Two-step verification is optional.');
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    update.mutate(new FormData(event.currentTarget).get('mfaRequired') === 'on');
  };
  // Turning it on without a factor of one's own would lock the owner out of the organization.
  const enrollFirst = codeOf(update.error) === 'MFA_REQUIRED' && reasonOf(update.error) === 'enroll_first';

  return (
    <section className="section" aria-labelledby="org-security-heading">
      <h2 id="org-security-heading">Security</h2>
      {settings.isPending ? (
        <Loading what="Loading security settings" />
      ) : settings.isError ? (
        <LoadError error={settings.error} retry={() => settings.refetch()} />
      ) : canManage ? (
        <form className="account-form" onSubmit={submit} noValidate key={String(settings.data.mfaRequired)}>
          {enrollFirst ? (
            <div className="notice notice-error" role="alert">
              Set up two-step verification for yourself first: <Link to="/account/security">Account → Security</Link>.
            </div>
          ) : (
            <FormError error={update.error} />
          )}
          {saved ? <Notice kind="success">{saved}</Notice> : null}
          <div>
            <label className="checkbox">
              <input
                type="checkbox"
                name="mfaRequired"
                defaultChecked={settings.data.mfaRequired}
                aria-describedby="mfa-required-hint"
              />
              Require two-step verification of every member
            </label>
            <p className="field-hint" id="mfa-required-hint">
              Members without an authenticator app or a passkey lose access to this organization’s projects, members and
              settings — their API keys and app tokens too — until they set one up. The Members list shows who has it.
            </p>
          </div>
          <SubmitButton pending={update.isPending}>Save security settings</SubmitButton>
        </form>
      ) : (
        <p data-testid="org-mfa-required">
          {settings.data.mfaRequired
            ? 'Every member must use two-step verification.'
            : 'Two-step verification is up to each member.'}
          {settings.data.updatedAt ? (
            <span className="muted"> Changed {formatDateTime(settings.data.updatedAt)}.</span>
          ) : null}{' '}
          Owners change this.
        </p>
      )}
    </section>
  );
}
