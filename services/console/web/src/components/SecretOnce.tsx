import { useCopy } from './useCopy';

/**
 * A secret the API shows exactly once (a new PAT, an OAuth client secret). It lives only in this
 * component's state: never stored, gone when the person leaves the screen.
 */
export function SecretOnce({
  label,
  value,
  kept = 'Gatehouse keeps only a hash of it',
}: {
  label: string;
  value: string;
  /** How Gatehouse keeps it (a webhook signing secret is kept sealed, to sign with). */
  kept?: string;
}) {
  const { copy, buttonText, announcement } = useCopy(value);
  return (
    <section className="secret" aria-label={label}>
      <p>
        <strong>{label}.</strong> Copy it now: it is shown only this once and {kept}.
      </p>
      <div className="secret-value">
        <code data-testid="secret-value">{value}</code>
        <button type="button" className="button button-small" onClick={copy}>
          {buttonText}
        </button>
      </div>
      <span className="visually-hidden" role="status">
        {announcement}
      </span>
    </section>
  );
}
