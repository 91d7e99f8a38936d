import type { ReactNode } from 'react';
import { messageOf } from '../api/errors';
import { MfaRequiredNotice, organizationPolicyOf } from './MfaRequiredNotice';

/**
 * An outcome shown on the screen: an error is an alert (read out at once), anything else a status.
 * (A status inserted together with its text is not read out by every screen reader: see docs/console.md.)
 */
export function Notice({ kind, children }: { kind: 'success' | 'error' | 'info'; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

/**
 * A query that failed: what went wrong, and a way to try again. An organization's two-step policy
 * refusing me says what to do about it instead.
 */
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  const policy = organizationPolicyOf(error);
  if (policy) return <MfaRequiredNotice policy={policy} retry={retry} />;
  return (
    <div className="notice notice-error" role="alert">
      <span>{messageOf(error)}</span>
      {retry ? (
        <button type="button" className="button button-small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
