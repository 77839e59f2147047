// The one list of error codes: the WIT enum `error-code`, as the host names them, plus the
// host's own; and the README's table of codes, which must list exactly these.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ComponentErrorCodes, HostErrorCodes, fromComponentError } from '../dist/core/errors.js';
import { ErrorCodes } from '../dist/index.js';

const root = new URL('../', import.meta.url);

/** The cases of the WIT enum `error-code`, read from the WIT itself. */
function witCases(): string[] {
  const wit = readFileSync(new URL('wit/safe-client.wit', root), 'utf8');
  const body = /enum error-code \{([^}]*)\}/.exec(wit)?.[1] ?? '';
  return body
    .split('\n')
    .map((line) => line.replace(/\/\/.*/, '').trim().replace(/,$/, ''))
    .filter((line) => line !== '');
}

describe('error codes', () => {
  it('are the WIT enum in PascalCase, and the host codes', () => {
    const cases = witCases();
    expect(cases.length).toBeGreaterThan(0);
    expect(Object.keys(ComponentErrorCodes).sort()).toEqual([...cases].sort());
    for (const c of cases) {
      const pascal = c.replace(/(^|-)([a-z])/g, (_m, _dash, ch: string) => ch.toUpperCase());
      expect(ComponentErrorCodes[c as keyof typeof ComponentErrorCodes]).toBe(pascal);
    }
    expect([...ErrorCodes].sort()).toEqual([...Object.values(ComponentErrorCodes), ...HostErrorCodes].sort());
    expect(new Set(ErrorCodes).size).toBe(ErrorCodes.length);
  });

  it('are exactly those in the README table', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.slice(readme.indexOf('### Error codes'));
    const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| code |')));
    const listed = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...ErrorCodes].sort());
  });

  it('a code the host does not know is reported as such, not passed off as Internal', () => {
    const e = fromComponentError({ code: 'no-such-code' as never, message: 'boom' });
    expect(e.code).toBe('Internal');
    expect(e.message).toContain('"no-such-code"');
    expect(e.message).toContain('boom');
    expect(fromComponentError({ code: 'not-found', message: 'gone' })).toEqual({ code: 'NotFound', message: 'gone' });
  });
});
