import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf, messageOf, reasonOf } from '../../api/errors';
import { forgetSession, ME_KEY, type User, useMe } from '../../api/session';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { When } from '../../components/When';
import './account.css';

/** `/account`: who I am to Gatehouse, my data, and the way out. */
export function ProfilePage() {
  // AppLayout renders screens only once the signed-in user is known; null only while signing out.
  const me = useMe().data;
  if (!me) return null;
  return (
    <>
      <PageHeader title="Profile" description="Your name and handle, your email address and your data." />
      <ProfileForm me={me} />
      <EmailSection me={me} />
      <ExportSection />
      <DeleteAccountSection />
    </>
  );
}

function ProfileForm({ me }: { me: User }) {
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: (body: { fullName: string; handle: string }) => call(api.PUT('/api/user/me', { body })),
    onSuccess: (user) => queryClient.setQueryData(ME_KEY, user),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    save.mutate({ fullName: values.fullName ?? '', handle: values.handle ?? '' });
  };
  const fieldErrors = fieldErrorsOf(save.error);
  // A taken handle is a 409 (reason HANDLE_TAKEN) without field details: it belongs next to the handle.
  const handleTaken = reasonOf(save.error) === 'HANDLE_TAKEN' ? messageOf(save.error) : undefined;
  return (
    <section className="section" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your profile</h2>
      <form className="account-form" onSubmit={submit} noValidate>
        {handleTaken ? null : <FormError error={save.error} />}
        {save.isSuccess ? <Notice kind="success">Profile saved.</Notice> : null}
        <div className="form-row account-form-row">
          <Field
            name="fullName"
            label="Full name"
            autoComplete="name"
            required
            maxLength={100}
            defaultValue={me.fullName}
            error={fieldErrors.fullName}
          />
          <Field
            name="handle"
            label="Handle"
            autoComplete="nickname"
            autoCapitalize="none"
            spellCheck={false}
            required
            defaultValue={me.handle}
            error={handleTaken ?? fieldErrors.handle}
            hint="3 to 30 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
          />
        </div>
        <SubmitButton pending={save.isPending}>Save profile</SubmitButton>
      </form>
    </section>
  );
}

function EmailSection({ me }: { me: User }) {
  const send = useMutation({
    mutationFn: () => call(api.POST('/api/auth/send-verification-email', { body: { email: me.email } })),
  });
  return (
    <section className="section" aria-labelledby="email-heading">
      <h2 id="email-heading">Email address</h2>
      <dl className="details">
        <dt>Email</dt>
        <dd>
          <span data-testid="profile-email">{me.email}</span>{' '}
          {me.isVerified ? (
            <span className="badge badge-success">Verified</span>
          ) : (
            <span className="badge badge-warning">Not verified</span>
          )}
        </dd>
        {me.isVerified ? (
          <>
            <dt>Verified on</dt>
            <dd>
              <When at={me.verifiedAt} />
            </dd>
          </>
        ) : null}
        <dt>Member since</dt>
        <dd>
          <When at={me.createdAt} />
        </dd>
      </dl>
      {me.isVerified ? null : (
        <>
          <p className="muted">
            Open the link we mailed you in this browser, signed in as you are now: verifying from elsewhere signs every
            session out.
          </p>
          <FormError error={send.error} />
          {send.isSuccess ? <Notice kind="success">Verification email sent to {me.email}.</Notice> : null}
          <div className="actions">
            <button
              type="button"
              className="button"
              disabled={send.isPending}
              aria-busy={send.isPending || undefined}
              onClick={() => send.mutate()}
            >
              Send verification email
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** Saves a JSON answer as a file: a Blob URL, clicked once, then revoked. */
function downloadJson(data: unknown, fileName: string): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
  } finally {
    // Some browsers read the URL only after the click returns: let go of it a moment later.
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  }
}

function ExportSection() {
  const exportData = useMutation({
    // The whole export is the answer: not kept once it is downloaded and the screen left.
    gcTime: 0,
    mutationFn: () => call(api.GET('/api/user/me/export')),
    onSuccess: (data) => downloadJson(data, `gatehouse-account-${data.exportedAt.slice(0, 10)}.json`),
  });
  return (
    <section className="section" aria-labelledby="export-heading">
      <h2 id="export-heading">Your data</h2>
      <p>
        Everything Gatehouse's identity service holds about you (profile, sessions, API keys without their values,
        sign-in history, memberships, OAuth apps and grants) as one JSON file.
      </p>
      <FormError error={exportData.error} />
      {exportData.isSuccess ? <Notice kind="success">Your data was downloaded.</Notice> : null}
      <div className="actions">
        <button
          type="button"
          className="button"
          disabled={exportData.isPending}
          aria-busy={exportData.isPending || undefined}
          onClick={() => exportData.mutate()}
        >
          Export my data
        </button>
      </div>
    </section>
  );
}

function DeleteAccountSection() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/user/me')),
    onSuccess: async () => {
      // Leave the signed-in screens first, then forget everything the session could read.
      await navigate('/sign-in', { replace: true });
      forgetSession(queryClient);
    },
  });
  return (
    <section className="section section-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete your account</h2>
      <p>
        Your account, every session, API key, OAuth app and grant end at once and cannot be brought back. Organizations
        you belong to lose you as a member.
      </p>
      <FormError error={remove.error} />
      <div className="actions">
        <ConfirmButton
          label="Delete my account"
          title="Delete your account?"
          confirmLabel="Delete my account for good"
          pending={remove.isPending}
          onConfirm={() => remove.mutate()}
        >
          <p>This signs you out everywhere and deletes all your data. There is no undo.</p>
        </ConfirmButton>
      </div>
    </section>
  );
}
