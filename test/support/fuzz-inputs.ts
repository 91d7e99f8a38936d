import { ROUTES } from '@gatehouse/contracts';
import fc from 'fast-check';

/** Every property name any route schema declares (bodies and queries), so wrong types hit real fields. */
export function knownFields(): string[] {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const stack: unknown[] = ROUTES.flatMap((route) => [route.params, route.query, route.body]);
  while (stack.length > 0) {
    const schema = stack.pop();
    if (schema === null || typeof schema !== 'object' || seen.has(schema)) continue;
    seen.add(schema);
    const { properties, items, anyOf, oneOf, allOf } = schema as Record<string, unknown>;
    if (properties && typeof properties === 'object') {
      for (const [name, child] of Object.entries(properties)) {
        names.add(name);
        stack.push(child);
      }
    }
    stack.push(items, ...[anyOf, oneOf, allOf].filter(Array.isArray).flat());
  }
  return [...names].sort();
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Strings a careless client or an attacker sends: NUL, lone surrogates, emoji, SQL/LIKE/JSON-looking text. */
export const shortOddString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  // Otherwise sane text with a NUL inside: what PostgreSQL refuses to store.
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}\u0000${b}`),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\uD800',
    '\uDFFFx',
    '💥'.repeat(30),
    "'; drop table users; --",
    '%_\\',
    '__proto__',
    'constructor',
    'NaN',
    'Infinity',
    '-0',
    '1e20',
    '1e308',
    '9007199254740993',
    'true',
    'null',
    '[]',
    '{}',
    '../../etc/passwd',
    '01HZ3K5R4X9Y2V6QF8TJ7W0CDN',
    'user@example.com',
    ' user@EXAMPLE.com ',
    'not-an-email',
    '2026-13-45T25:61:00Z',
    'javascript:alert(1)',
    'https://example.com/callback',
  ),
);

/** …and, now and then, one near the body limit (bodies only: a URL that long never reaches a route). */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: shortOddString },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((n) => '\u00e9'.repeat(n * 40_000)) },
);

export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 1e20, 1e308, -1e308, 5e-324, 2 ** 53 + 1, -(2 ** 31), 2 ** 63),
);

/** Any JSON value, biased towards the odd: scalars of every type, arrays, and nesting a little past sane. */
export const oddValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString,
    oddNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(oddString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A value for one field that is likely wrong for it: NUL-bearing text, other types, containers. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((text) => `${text}\u0000${text}`) },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
  { weight: 1, arbitrary: oddValue },
);

/**
 * A body for a route: its valid example (when the test has one) with one field given a wrong value,
 * added or removed, so the request gets past the required-field checks to the code that stores it;
 * else an object of known fields with odd values, any JSON at all, or nesting past sane.
 */
export function bodyFor(fields: readonly string[], example?: Record<string, unknown>): fc.Arbitrary<unknown> {
  const field = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...fields) }, shortOddString);
  const anyBody = fc.oneof(
    { weight: 3, arbitrary: fc.dictionary(field, oddValue, { minKeys: 1, maxKeys: 2 }) },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: oddValue },
    { weight: 1, arbitrary: fc.integer({ min: 40, max: 2_000 }).map((depth) => nested(depth)) },
  );
  if (!example) return anyBody;
  const keys = Object.keys(example);
  const mutated = fc.oneof(
    fc.tuple(fc.constantFrom(...keys), wrongValue).map(([key, value]) => ({ ...example, [key]: value })),
    fc.tuple(field, wrongValue).map(([key, value]) => ({ ...example, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(example).filter(([name]) => name !== key))),
  );
  return fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: anyBody });
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = level % 2 ? [value] : { name: value };
  return value;
}

/** Offsets past what OFFSET can take, and other numbers that are not one. */
const oddOffset = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1e20', '1e21', '1e300', '99999999999999999999', '10000001', '-1', '0x10') },
  { weight: 1, arbitrary: fc.nat().map(String) },
  { weight: 1, arbitrary: shortOddString },
);

/** A cursor that decodes, but to a sort this list has and a value or shape it never wrote. */
const oddCursor = fc.oneof(
  fc
    .record({
      s: fc.constantFrom('-createdAt', 'createdAt', 'name', '-name', '-joinedAt', '-at'),
      v: fc.oneof(shortOddString, fc.constantFrom('-271821-04-20T00:00:00.000Z', '275760-09-13T00:00:00.000Z')),
      id: shortOddString,
    })
    .map((payload) => Buffer.from(JSON.stringify(payload)).toString('base64url')),
  fc.jsonValue().map((payload) => Buffer.from(JSON.stringify(payload) ?? '').toString('base64url')),
  fc.base64String({ minLength: 1, maxLength: 80 }),
);

/** A query string: the list parameters with odd values, or known fields and made-up keys with odd values. */
export function queryFor(fields: readonly string[]): fc.Arbitrary<string> {
  // One list parameter at a time, so the odd one is not hidden behind another's validation error.
  const list = fc
    .oneof(
      fc.tuple(fc.constantFrom('offset', 'limit'), oddOffset),
      fc.tuple(fc.constant('cursor'), oddCursor),
      fc.tuple(fc.constantFrom('sort', 'q'), shortOddString),
    )
    .map((pair) => [pair]);
  const key = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: shortOddString });
  // Short strings only, so the request line stays under Node's 16 KiB header limit.
  const value = fc.oneof(shortOddString, oddNumber.map(String), fc.base64String({ maxLength: 80 }));
  const loose = fc.array(fc.tuple(key, value), { maxLength: 5 });
  return fc.oneof({ weight: 3, arbitrary: list }, { weight: 1, arbitrary: loose }).map((pairs) => {
    const params = new URLSearchParams();
    for (const [name, text] of pairs) params.append(name, String(text));
    const text = params.toString();
    return text ? `?${text}` : '';
  });
}

/**
 * A path parameter, URL-encoded: a well-formed stranger or anything at all; or, when the test has one,
 * null for "the real id" (looked up when the request is sent, so a recreated fixture is still reached).
 */
export function paramValue(hasReal: boolean): fc.Arbitrary<string | null> {
  const wellFormed = fc.stringMatching(ULID).filter((id) => id.length === 26);
  const choices: Array<fc.WeightedArbitrary<string | null>> = [
    { weight: 1, arbitrary: wellFormed },
    { weight: 1, arbitrary: shortOddString.filter((text) => text.length > 0) },
  ];
  if (hasReal) choices.push({ weight: 6, arbitrary: fc.constant(null) });
  return fc.oneof(...choices).map((text) => (text === null ? null : encodeSegment(text)));
}

/** encodeURIComponent, except that a lone surrogate travels as U+FFFD (as a browser sends it) instead of throwing. */
function encodeSegment(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
}
