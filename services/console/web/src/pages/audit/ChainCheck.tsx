import { useMutation } from '@tanstack/react-query';
import { Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { type ChainVerification, verifyChain } from './audit-api';

const BROKEN_REASONS: Record<NonNullable<ChainVerification['firstBroken']>['reason'], string> = {
  hash_mismatch: 'its fields were changed after it was written',
  link_mismatch: 'a record before it was changed or removed',
  sequence_gap: 'a record before it is missing',
};

/** Owners recompute the organization's hash chain: intact, or the first record that does not hold. */
export function ChainCheck({ organizationId }: { organizationId: string }) {
  const verify = useMutation({ mutationFn: () => verifyChain(organizationId) });
  return (
    <section className="section" aria-labelledby="audit-chain-heading">
      <h2 id="audit-chain-heading">Tamper evidence</h2>
      <p className="muted">
        Each record holds the hash of the one before it, so a record changed or removed afterwards breaks the chain.
      </p>
      <FormError error={verify.error} />
      {verify.data ? <ChainOutcome verification={verify.data} /> : null}
      <div className="actions">
        <button
          type="button"
          className="button"
          disabled={verify.isPending}
          aria-busy={verify.isPending || undefined}
          onClick={() => verify.mutate()}
        >
          {verify.isPending ? 'Verifying…' : 'Verify chain'}
        </button>
      </div>
    </section>
  );
}

function ChainOutcome({ verification }: { verification: ChainVerification }) {
  const { firstBroken, anchor, checked } = verification;
  const pruned = anchor
    ? ` Records before number ${anchor.sequence + 1} were deleted by the retention period: the check starts there.`
    : '';
  if (verification.intact || !firstBroken)
    return (
      <Notice kind="success">
        The chain is intact: {checked === 1 ? '1 record' : `${checked} records`} checked.{pruned}
      </Notice>
    );
  return (
    <Notice kind="error">
      The chain is broken at record number {firstBroken.sequence} (<code>{firstBroken.id}</code>):{' '}
      {BROKEN_REASONS[firstBroken.reason]}.{pruned}
    </Notice>
  );
}
