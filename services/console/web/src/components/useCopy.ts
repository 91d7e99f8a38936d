import { useState } from 'react';

/**
 * Copying to the clipboard, and what to tell the person: a browser may refuse (no permission, no
 * secure context), and then the value must be selected by hand — never a silent no-op.
 */
export function useCopy(value: string) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  const buttonText = state === 'copied' ? 'Copied' : 'Copy';
  const announcement =
    state === 'copied'
      ? 'Copied to the clipboard'
      : state === 'failed'
        ? 'Copying failed: select the text and copy it'
        : '';
  return { copy, buttonText, announcement };
}
