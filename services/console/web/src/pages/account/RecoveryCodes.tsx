import { useEffect, useState } from 'react';
import { useCopy } from '../../components/useCopy';

/**
 * Recovery codes, shown this once (Gatehouse keeps only their hashes): copy them, download them as a
 * text file, and say they are saved before the screen lets them go.
 */
export function RecoveryCodesOnce({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const text = `Gatehouse recovery codes (each works once)\n\n${codes.join('\n')}\n`;
  const { copy, buttonText, announcement } = useCopy(text);
  const [download, setDownload] = useState<string | null>(null);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    setDownload(url);
    return () => URL.revokeObjectURL(url);
  }, [text]);
  return (
    <section className="secret recovery-codes" aria-labelledby="recovery-codes-heading">
      <h3 id="recovery-codes-heading">Your recovery codes</h3>
      <p>
        <strong>Save these now: they are shown only this once.</strong> Each one signs you in once if you lose your
        authenticator app and passkeys. Keep them somewhere safe, like a password manager.
      </p>
      <ol className="recovery-code-list" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" className="button button-small" onClick={copy}>
          {buttonText === 'Copied' ? 'Copied' : 'Copy the codes'}
        </button>
        {download ? (
          <a className="button button-small" href={download} download="gatehouse-recovery-codes.txt">
            Download
          </a>
        ) : null}
        <button type="button" className="button button-small button-primary" onClick={onDone}>
          I saved them
        </button>
      </div>
      <span className="visually-hidden" role="status">
        {announcement}
      </span>
    </section>
  );
}
