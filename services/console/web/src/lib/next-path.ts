/**
 * Where to go after signing in: the `next` the sign-in redirect carried, only when it is a path of
 * the console itself. Browsers drop tabs and newlines and read `\` as `/` anywhere in a URL, so
 * those are refused outright; what is checked (the resolved URL) is what is used.
 */
export function safeNextPath(next: string | null): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (!next?.startsWith('/') || /[\u0000-\u0020\u007f\\]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, window.location.origin);
  } catch {
    return '/';
  }
  if (url.origin !== window.location.origin || url.pathname.startsWith('//')) return '/';
  return url.pathname + url.search + url.hash;
}

/**
 * Where a finished SSO second-factor step goes (its `redirectTo`, the sign-in's `returnTo`): a path of
 * this origin, or an absolute URL of this origin (an OAuth authorization page) — never elsewhere.
 */
export function safeRedirect(redirectTo: string | undefined): string {
  if (!redirectTo) return '/';
  if (redirectTo.startsWith('/')) return safeNextPath(redirectTo);
  let url: URL;
  try {
    url = new URL(redirectTo);
  } catch {
    return '/';
  }
  return url.origin === window.location.origin ? safeNextPath(url.pathname + url.search + url.hash) : '/';
}
