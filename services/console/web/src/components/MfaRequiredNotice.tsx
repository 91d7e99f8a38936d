import { useState } from 'react';
import { Link } from 'react-router';
import { GatehouseError } from '../api/client';
import { requestStepUp } from '../api/step-up';

/** 403 MFA_REQUIRED for an organization's policy (`meta.reason: 'organization_policy'`): its meta, else null. */
export function organizationPolicyOf(error: unknown): { enrolled: boolean; enrollUrl: string } | null {
  if (!(error instanceof GatehouseError) || error.code !== 'MFA_REQUIRED') return null;
  if (error.meta?.reason !== 'organization_policy') return null;
  const url = error.meta.enrollUrl;
  // Only a path of the console: the link is followed in place.
  const enrollUrl = typeof url === 'string' && /^\/[a-z/-]*$/.test(url) ? url : '/account/security';
  return { enrolled: error.meta.enrolled === true, enrollUrl };
}

/**
 * An organization that requires two-step verification, refusing a member who does not meet it: without
 * a factor, where to set one up; with one, this session has not proved it yet, so prove it here (the
 * step-up dialog) and read the screen again.
 */
export function MfaRequiredNotice({
  policy,
  retry,
}: {
  policy: { enrolled: boolean; enrollUrl: string };
  retry?: (() => void) | undefined;
}) {
  const [declined, setDeclined] = useState(false);
  if (!policy.enrolled)
    return (
      <div className="notice notice-error" role="alert" data-testid="mfa-policy-notice">
        <span>
          This organization requires two-step verification. Set up an authenticator app or a passkey to open its pages.
        </span>
        <Link className="button button-small button-primary" to={policy.enrollUrl}>
          Set up two-step verification
        </Link>
      </div>
    );
  return (
    <div className="notice notice-error" role="alert" data-testid="mfa-policy-notice">
      <span>
        This organization requires two-step verification, and this session has not used your second factor yet.
        {declined ? ' You can also sign out and sign in again with it.' : ''}
      </span>
      <button
        type="button"
        className="button button-small button-primary"
        onClick={async () => {
          if (await requestStepUp()) retry?.();
          else setDeclined(true);
        }}
      >
        Use my second factor
      </button>
    </div>
  );
}
