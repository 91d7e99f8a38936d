import { type FieldError, validationError, WEBHOOK_EVENT_TYPES } from '@gatehouse/contracts';

const ACTIONS = new Set<string>(WEBHOOK_EVENT_TYPES);
/** `member.*` and the like: a family is the part of an action before its dot. */
const FAMILIES = new Set(WEBHOOK_EVENT_TYPES.map((action) => `${action.slice(0, action.indexOf('.'))}.*`));

export function isEventPattern(pattern: string): boolean {
  return pattern === '*' || ACTIONS.has(pattern) || FAMILIES.has(pattern);
}

/** The subscribed patterns without duplicates, in the order given, or 400 naming each unknown `events/<i>`. */
export function checkEvents(events: readonly string[]): string[] {
  const errors: FieldError[] = [];
  events.forEach((pattern, index) => {
    if (!isEventPattern(pattern)) {
      errors.push({
        field: `events/${index}`,
        error: 'is not an organization action, a family of them (`member.*`) or `*`',
        location: 'body',
      });
    }
  });
  if (errors.length > 0) throw validationError(errors);
  return [...new Set(events)];
}
