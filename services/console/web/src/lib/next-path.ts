/**
 * Where to go after signing in: the `next` the sign-in redirect carried, when it is a path of the
 * console itself (never another origin: `//evil.example` and `/\evil` are not paths here).
 */
export function safeNextPath(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
