import type { components } from '@gatehouse/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call, callList } from '../../api/client';
import { codeOf, fieldErrorsOf, messageOf } from '../../api/errors';
import { forgetSession, useMe } from '../../api/session';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { EmptyList, Pager, usePagedQuery } from '../../components/Pager';
import { formatDateTime, When } from '../../components/When';
import { deviceOf } from './device';
import { TwoFactorSection } from './TwoFactorSection';
import './account.css';

type Session = components['schemas']['Session'];
type LoginEvent = components['schemas']['LoginEvent'];

const METHOD_NAMES: Record<LoginEvent['method'], string> = {
  password: 'Password',
  sso: 'Single sign-on',
  passkey: 'Passkey',
  magic_link: 'Email link',
};
const SECOND_FACTOR_NAMES: Record<NonNullable<LoginEvent['secondFactor']>, string> = {
  totp: 'authenticator app',
  passkey: 'passkey',
  recovery_code: 'recovery code',
};

/** "Password + authenticator app": how a sign-in was made, its second factor included. */
function methodName(event: LoginEvent): string {
  const first = METHOD_NAMES[event.method] ?? event.method;
  return event.secondFactor ? `${first} + ${SECOND_FACTOR_NAMES[event.secondFactor] ?? event.secondFactor}` : first;
}

const SESSIONS_KEY = ['account', 'sessions'] as const;
const LOGIN_HISTORY_KEY = ['account', 'login-history'] as const;
const PAGE_SIZE = 10;

/** `/account/security`: the password, two-step verification, the sessions signed in as me, and every sign-in attempt. */
export function SecurityPage() {
  return (
    <>
      <PageHeader
        title="Security"
        description="Your password, two-step verification, where you are signed in, and every sign-in attempt."
      />
      <ChangePasswordForm />
      <TwoFactorSection />
      <SessionsSection />
      <LoginHistorySection />
    </>
  );
}

function ChangePasswordForm() {
  const queryClient = useQueryClient();
  const me = useMe().data;
  const [endedOthers, setEndedOthers] = useState(false);
  const change = useMutation({
    // The typed passwords are in the variables: gone as soon as the screen is.
    gcTime: 0,
    mutationFn: (body: { currentPassword: string; newPassword: string; revokeOtherSessions: boolean }) =>
      call(api.POST('/api/auth/change-password', { body })),
    onSuccess: (_data, body) => {
      setEndedOthers(body.revokeOtherSessions);
      queryClient.invalidateQueries({ queryKey: SESSIONS_KEY });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const values = formValues(form);
    change.mutate(
      {
        currentPassword: values.currentPassword ?? '',
        newPassword: values.newPassword ?? '',
        revokeOtherSessions: values.revokeOtherSessions === 'on',
      },
      // Passwords do not linger in the inputs once they did their job.
      { onSuccess: () => form.reset() },
    );
  };
  const fieldErrors = fieldErrorsOf(change.error);
  // A wrong current password is a 401 INVALID_CREDENTIALS (the session itself is fine): it belongs to its input.
  const wrongPassword = codeOf(change.error) === 'INVALID_CREDENTIALS' ? messageOf(change.error) : undefined;
  return (
    <section className="section" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <form className="account-form" onSubmit={submit} noValidate>
        {wrongPassword ? null : <FormError error={change.error} />}
        {change.isSuccess ? (
          <Notice kind="success">
            Password changed.
            {endedOthers ? ' Your other sessions, API keys and the access you gave apps have ended.' : ''}
          </Notice>
        ) : null}
        {/* For password managers: the account these passwords belong to. */}
        <input type="hidden" name="username" autoComplete="username" value={me?.email ?? ''} />
        <div className="form-row account-form-row">
          <Field
            name="currentPassword"
            label="Current password"
            type="password"
            autoComplete="current-password"
            required
            error={wrongPassword ?? fieldErrors.currentPassword}
          />
          <Field
            name="newPassword"
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            maxLength={128}
            error={fieldErrors.newPassword}
            hint="8 to 128 characters, not your email address."
          />
        </div>
        <div>
          <label className="checkbox">
            <input type="checkbox" name="revokeOtherSessions" aria-describedby="revoke-others-hint" />
            Sign out my other sessions
          </label>
          <p className="field-hint" id="revoke-others-hint">
            Also deletes your API keys and ends the access you gave OAuth apps. This session stays signed in.
          </p>
        </div>
        <SubmitButton pending={change.isPending}>Change password</SubmitButton>
      </form>
    </section>
  );
}

/** "Chrome on Linux, signed in 2 Dec 2026, 01:50": what a person tells sessions apart by. */
function sessionName(session: Session): string {
  return `${deviceOf(session.userAgent)}, signed in ${formatDateTime(session.createdAt)}`;
}

function SessionsSection() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [revoked, setRevoked] = useState<string | null>(null);
  // By creation time: the default order (last seen) moves under the cursor as sessions are used.
  const { pages, query: sessions } = usePagedQuery(SESSIONS_KEY, (cursor) =>
    callList(
      api.GET('/api/user/sessions', {
        params: {
          query: { limit: PAGE_SIZE, sort: '-createdAt', ...(cursor ? { cursor } : {}) },
        },
      }),
    ),
  );
  const revoke = useMutation({
    mutationFn: (session: Session) =>
      call(api.DELETE('/api/user/sessions/{sessionId}', { params: { path: { sessionId: session.id } } })),
    onSuccess: async (_data, session) => {
      if (session.current) {
        // This very session ended: what the app holds belonged to it.
        await navigate('/sign-in', { replace: true });
        forgetSession(queryClient);
        return;
      }
      setRevoked(sessionName(session));
      await queryClient.invalidateQueries({ queryKey: SESSIONS_KEY });
    },
  });

  return (
    <section className="section" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p className="muted">Browsers and scripts signed in as you. Revoking one signs it out within a second.</p>
      <FormError error={revoke.error} />
      {revoked ? <Notice kind="success">Signed out the session on {revoked}.</Notice> : null}
      {sessions.isPending ? (
        <Loading what="Loading sessions" />
      ) : sessions.isError ? (
        <LoadError error={sessions.error} retry={() => sessions.refetch()} />
      ) : sessions.data.items.length === 0 ? (
        <EmptyList pages={pages} nextCursor={sessions.data.nextCursor}>
          No other session.
        </EmptyList>
      ) : (
        <>
          <div className="table-wrap account-table-wrap">
            <table>
              <caption className="visually-hidden">Your sessions</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last active</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.items.map((session) => (
                  <tr key={session.id} data-testid="session-row">
                    <td title={session.userAgent ?? undefined}>
                      {deviceOf(session.userAgent)}{' '}
                      {session.current ? <span className="badge badge-success">This session</span> : null}
                    </td>
                    <td>{session.ip ?? <span className="muted">Unknown</span>}</td>
                    <td>
                      <When at={session.createdAt} />
                    </td>
                    <td>
                      <When at={session.lastSeenAt} />
                    </td>
                    <td>
                      <When at={session.expiresAt} />
                    </td>
                    <td>
                      {session.current ? (
                        <ConfirmButton
                          label="Sign out"
                          accessibleLabel={`Sign out this session (${sessionName(session)})`}
                          title="Sign out this session?"
                          confirmLabel="Sign out"
                          pending={revoke.isPending}
                          onConfirm={() => revoke.mutate(session)}
                        >
                          <p>This is the session you are using: you will need to sign in again.</p>
                        </ConfirmButton>
                      ) : (
                        <button
                          type="button"
                          className="button button-small button-danger"
                          aria-label={`Revoke session on ${sessionName(session)}`}
                          disabled={revoke.isPending}
                          onClick={() => revoke.mutate(session)}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            pages={pages}
            nextCursor={sessions.data.nextCursor}
            busy={sessions.isPlaceholderData}
            label="Pages of sessions"
          />
        </>
      )}
    </section>
  );
}

function LoginHistorySection() {
  const { pages, query: history } = usePagedQuery(LOGIN_HISTORY_KEY, (cursor) =>
    callList(
      api.GET('/api/user/me/login-history', {
        params: { query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
    <section className="section" aria-labelledby="history-heading">
      <h2 id="history-heading">Sign-in history</h2>
      <p className="muted">Every attempt to sign in to your account, newest first, failed ones included.</p>
      {history.isPending ? (
        <Loading what="Loading sign-in history" />
      ) : history.isError ? (
        <LoadError error={history.error} retry={() => history.refetch()} />
      ) : history.data.items.length === 0 ? (
        <EmptyList pages={pages} nextCursor={history.data.nextCursor}>
          No sign-in yet.
        </EmptyList>
      ) : (
        <>
          {/* Focusable so keyboard users can scroll it sideways on a narrow screen. */}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
          <section className="table-wrap account-table-wrap" tabIndex={0} aria-labelledby="history-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Result</th>
                  <th scope="col">Method</th>
                  <th scope="col">Device</th>
                  <th scope="col">IP address</th>
                </tr>
              </thead>
              <tbody>
                {history.data.items.map((event) => (
                  <tr key={event.id} data-testid="login-row">
                    <td>
                      <When at={event.at} />
                    </td>
                    <td>
                      {event.success ? (
                        <span className="badge badge-success">Succeeded</span>
                      ) : (
                        <span className="badge badge-warning">Failed</span>
                      )}
                    </td>
                    <td>{methodName(event)}</td>
                    <td title={event.userAgent ?? undefined}>{deviceOf(event.userAgent)}</td>
                    <td>{event.ip ?? <span className="muted">Unknown</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <Pager
            pages={pages}
            nextCursor={history.data.nextCursor}
            busy={history.isPlaceholderData}
            label="Pages of sign-ins"
          />
        </>
      )}
    </section>
  );
}
