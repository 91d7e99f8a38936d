import type { Filter } from 'scim2-parse-filter';
import { parseFilter, type Token, Tokens, tokenizer } from 'scim2-parse-filter/lib/src/parser.js';
import { ScimError } from './protocol.js';

export type { Compare, Filter, LogExp, NotFilter, Suffix, ValuePath } from 'scim2-parse-filter';

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) with scim2-parse-filter. One thing is done first: the
 * library reads `emails[type eq "work"].value eq "x"` as two unrelated conditions (a work address,
 * and any address "x"), so the tokens are rewritten to `emails[(type eq "work") and value eq "x"]`:
 * the same element must satisfy both, as the RFC means.
 */
export function parseScimFilter(text: string): Filter {
  try {
    const tokens = new Tokens(correlateSubAttributes(tokenizer(text)));
    const filter = parseFilter(tokens);
    if (tokens.peek().type !== 'EOT') throw new Error(`unexpected ${tokens.peek().literal}`);
    return filter;
  } catch (error) {
    if (error instanceof ScimError) throw error;
    throw new ScimError(400, `The filter is not valid: ${(error as Error).message}`, 'invalidFilter');
  }
}

const COMPARE_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);

/** Moves each `attr[filter].sub op value` (or `.sub pr`) inside its brackets. */
function correlateSubAttributes(input: Token[]): Token[] {
  const tokens = [...input];
  for (let close = 0; close < tokens.length; close++) {
    if (tokens[close]?.literal !== '].') continue;
    const sub = tokens[close + 1];
    const operator = tokens[close + 2];
    if (sub?.type !== 'Word' || operator?.type !== 'Word') continue;
    const op = operator.literal.toLowerCase();
    const length = op === 'pr' ? 2 : COMPARE_OPERATORS.has(op) ? 3 : 0;
    if (length === 0 || close + length >= tokens.length) continue;
    const open = matchingOpen(tokens, close);
    if (open < 0) continue;
    const moved = tokens.splice(close + 1, length);
    tokens.splice(close, 1, word(')'), word('and'), ...moved, bracket(']'));
    tokens.splice(open + 1, 0, bracket('('));
    close += length + 3;
  }
  return tokens;
}

function matchingOpen(tokens: Token[], close: number): number {
  let depth = 0;
  for (let index = close - 1; index >= 0; index--) {
    const literal = tokens[index]?.type === 'Bracket' ? tokens[index]?.literal : undefined;
    if (literal === ']' || literal === '].') depth++;
    else if (literal === '[') {
      if (depth === 0) return index;
      depth--;
    }
  }
  return -1;
}

const word = (literal: string): Token => (literal === ')' ? bracket(literal) : { type: 'Word', literal });
const bracket = (literal: string): Token => ({ type: 'Bracket', literal });
