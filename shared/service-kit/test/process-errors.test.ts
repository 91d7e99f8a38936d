import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, handleProcessError, isProgrammingError, unhandledErrors } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function assertionError(): unknown {
  try {
    assert.equal(1, 2);
  } catch (error) {
    return error;
  }
}

describe('isProgrammingError', () => {
  it.each([
    ['a TypeError', new TypeError('x is not a function'), true],
    ['a ReferenceError', new ReferenceError('y is not defined'), true],
    ['a RangeError', new RangeError('Invalid array length'), true],
    ['an AssertionError', assertionError(), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    [
      'fetch failing on the network',
      new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
      false,
    ],
    ['PostgreSQL shutting down', Object.assign(new Error('terminating connection'), { code: '57P01' }), false],
    ['a NATS timeout', Object.assign(new Error('TIMEOUT'), { name: 'NatsError', code: 'TIMEOUT' }), false],
    ['an aborted call', Object.assign(new Error('aborted'), { name: 'AbortError' }), false],
    ['a rejection with no error', undefined, false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isProgrammingError(error)).toBe(expected);
  });
});

describe('handleProcessError', () => {
  it('logs fatal with the error and counts it; exits only for a programming error', async () => {
    const lines: Array<{ level: number; err?: { message: string }; exiting: boolean }> = [];
    const logger = createLogger('t', 'info', { write: (line: string) => lines.push(JSON.parse(line)) });
    const exits: number[] = [];
    const before = (await unhandledErrors.get()).values.find((v) => v.labels.kind === 'unhandledRejection')?.value ?? 0;
    handleProcessError(
      logger,
      'unhandledRejection',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      (code) => exits.push(code),
    );
    expect(exits).toEqual([]);
    handleProcessError(logger, 'unhandledRejection', new TypeError('boom'), (code) => exits.push(code));
    expect(exits).toEqual([1]);
    handleProcessError(logger, 'unhandledRejection', 'just a string', (code) => exits.push(code));
    expect(exits).toEqual([1]);
    expect(lines.map((line) => [line.level, line.err?.message, line.exiting])).toEqual([
      [60, 'read ECONNRESET', false],
      [60, 'boom', true],
      [60, 'a rejection that is not an Error: just a string', false],
    ]);
    const after = (await unhandledErrors.get()).values.find((v) => v.labels.kind === 'unhandledRejection')?.value ?? 0;
    expect(after - before).toBe(3);
  });
});

describe('installProcessErrorHandlers, in a real process', () => {
  const run = (kind: string) =>
    spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(here, 'fixtures/unhandled.ts'), kind], {
      encoding: 'utf8',
      timeout: 60_000,
    });

  it.each(['network', 'fetch'])(
    'stays up after an unhandled operational rejection (%s)',
    (kind) => {
      const result = run(kind);
      expect(result.stdout).toContain('an operational error; staying up');
      expect(result.stdout).toContain('still up');
      expect(result.status).toBe(0);
    },
    120_000,
  );

  it.each(['type', 'assertion'])(
    'exits 1 after an unhandled programming error (%s)',
    (kind) => {
      const result = run(kind);
      expect(result.stdout).toContain('a programming error; exiting');
      expect(result.stdout).not.toContain('still up');
      expect(result.status).toBe(1);
    },
    120_000,
  );
});
