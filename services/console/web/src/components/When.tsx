/** How every screen shows times: the person's locale, the exact instant kept machine-readable. */
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatDateTime(iso: string): string {
  return DATE_TIME.format(new Date(iso));
}

export function formatDate(iso: string): string {
  return DATE.format(new Date(iso));
}

export function When({ at, never = 'Never' }: { at: string | null | undefined; never?: string }) {
  if (!at) return <span className="muted">{never}</span>;
  return <time dateTime={at}>{formatDateTime(at)}</time>;
}
