import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ISSUE_CODES, type IssueCode } from './issues';
import type { Issue } from './types';

/** Every non-test TypeScript file under src/. */
function sources(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...sources(full));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

describe('ISSUE_CODES', () => {
  it('describes every code in one line', () => {
    for (const [code, description] of Object.entries(ISSUE_CODES)) {
      expect(code).toMatch(/^POLICY_[A-Z0-9_]+$/);
      expect(description.trim().length).toBeGreaterThan(10);
      expect(description).not.toMatch(/\n/);
    }
  });

  it('is the type of Issue.code, so an unlisted code does not compile', () => {
    // The assignments are the test: each fails to type-check if Issue.code widens or narrows.
    const code: IssueCode = 'POLICY_LOAD_FAILED';
    const issue: Issue = { code, file: '', line: 0, path: '', message: 'm', severity: 'error' };
    const back: IssueCode = issue.code;
    // @ts-expect-error a code that is not in ISSUE_CODES
    const unlisted: Issue['code'] = 'POLICY_NOT_A_CODE';
    expect([back, unlisted]).toEqual(['POLICY_LOAD_FAILED', 'POLICY_NOT_A_CODE']);
  });

  it('lists every POLICY_ code the sources spell as a string, wherever it is written', () => {
    // The type system checks codes given as Issue.code; this also catches one kept in a string
    // first (a Set of codes, a message) that a later change turns into an issue.
    const root = path.resolve(__dirname, '..');
    const named = new Set<string>();
    for (const file of sources(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/['"`](POLICY_[A-Z0-9_]+)['"`]/g)) {
        named.add(match[1]!);
      }
    }
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((code) => !(code in ISSUE_CODES)).sort()).toEqual([]);
  });
});
