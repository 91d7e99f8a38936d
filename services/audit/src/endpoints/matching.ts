/**
 * Whether an endpoint subscribed to an action: `*` (every organization action), a family (`member.*`), or the
 * action itself. The test message goes to the endpoint it is sent to, whatever it subscribed to.
 */
export function subscribesTo(patterns: readonly string[], action: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('.*')) return action.startsWith(pattern.slice(0, -1));
    return pattern === action;
  });
}
