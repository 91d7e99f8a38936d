import { useCopy } from '../../components/useCopy';

/**
 * A value someone pastes elsewhere (a DNS record, a URL for the IdP): labelled, in a code block,
 * with a Copy button that names what it copies.
 */
export function CopyValue({ label, value, subject }: { label: string; value: string; subject?: string }) {
  // Several blocks share a label on one screen: the button names whose value it copies.
  const name = subject ? `${label} for ${subject}` : label;
  const { copy, buttonText, announcement } = useCopy(value);
  return (
    <div className="copy-value">
      <span className="copy-value-label">{label}</span>
      <div className="copy-value-row">
        <code>{value}</code>
        <button type="button" className="button button-small" aria-label={`${buttonText} ${name}`} onClick={copy}>
          {buttonText}
        </button>
      </div>
      <span className="visually-hidden" role="status">
        {announcement ? `${name}: ${announcement}` : ''}
      </span>
    </div>
  );
}
