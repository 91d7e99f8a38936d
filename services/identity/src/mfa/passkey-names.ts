/** Browsers and systems, most specific first (Edge and Opera carry "Chrome" too; Chrome carries "Safari"). */
const BROWSERS: Array<[RegExp, string]> = [
  [/Edg(?:e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Windows/, 'Windows'],
  [/Linux/, 'Linux'],
];

const first = (userAgent: string, table: Array<[RegExp, string]>) =>
  table.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;

/** The default name of a passkey: "Passkey (Chrome on macOS)", or just "Passkey" for an unknown client. */
export function passkeyNameFor(userAgent: string | null): string {
  if (!userAgent) return 'Passkey';
  const browser = first(userAgent, BROWSERS);
  const system = first(userAgent, SYSTEMS);
  if (browser && system) return `Passkey (${browser} on ${system})`;
  if (browser ?? system) return `Passkey (${browser ?? system})`;
  return 'Passkey';
}
