import { Link } from 'react-router';
import { codeOf, messageOf } from '../../api/errors';
import { Notice } from '../../components/feedback';

/** What the last action in a section did: its success, or the API's refusal. */
export type Outcome = { kind: 'success'; text: string } | { kind: 'error'; error: unknown } | null;

export function ActionOutcome({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  if (outcome.kind === 'success') return <Notice kind="success">{outcome.text}</Notice>;
  return <ApiRefusal error={outcome.error} />;
}

/**
 * The API's message; an unverified account is also told where to verify (inviting, changing roles
 * and removing members need a verified email address).
 */
export function ApiRefusal({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <Notice kind="error">
      {messageOf(error)}
      {codeOf(error) === 'EMAIL_NOT_VERIFIED' ? (
        <>
          {' '}
          <Link to="/account">Verify your email address on your profile</Link>, then try again.
        </>
      ) : null}
    </Notice>
  );
}
