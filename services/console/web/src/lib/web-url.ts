/** An http(s) URL from an API answer, before the browser is sent there (never `javascript:` or `data:`). */
export function webUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    return ['http:', 'https:'].includes(new URL(value, window.location.origin).protocol) ? value : null;
  } catch {
    return null;
  }
}
