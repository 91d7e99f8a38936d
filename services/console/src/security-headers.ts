/**
 * Only this origin, and no inline script or style: the app is one module script and one
 * stylesheet from /assets, it talks only to the API on the same origin (the session cookie is
 * HttpOnly and never reaches script), and no page may frame it or post a form elsewhere.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  // No script may write HTML into the page (React never needs to): DOM XSS sinks refuse strings.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Every answer of the console: the CSP above and the usual browser hardening. */
export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};
