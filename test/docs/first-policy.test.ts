/**
 * The README's "Write your first policy" walkthrough, kept true: its YAML is the example file, and
 * each `check` it shows gives the verdict, reason and near miss it shows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '../..');
const example = path.join(root, 'examples/first-policy');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('## Write your first policy'),
  readme.indexOf('## How it fits together'),
);

const documents = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown);

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join('\n') };
}

describe('README: write your first policy', () => {
  it('shows exactly the policy of examples/first-policy', () => {
    const block = /```yaml\n([^]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(documents(block!)).toEqual(documents(readFileSync(path.join(example, 'policy.yaml'), 'utf8')));
  });

  it.each([
    [
      'api.github.com:443',
      0,
      'reason:   route_allowed: api.github.com:443 allowed by route github rules[0].matches[0] on gateway my-agents',
    ],
    [
      'gist.github.com:443',
      1,
      'response: 403 "gists are off-limits for agents; ask #platform if you need one"',
    ],
    ['api.github.com:22', 1, 'nearly:   route github rules[0].matches[0] allows port 443, not 22'],
  ])('check --dest %s gives what the README shows', async (dest, code, line) => {
    const r = await run('check', '--policy', example, '--dest', dest);
    expect(r.code).toBe(code);
    expect(r.out).toContain(line);
    expect(section).toContain(line);
  });
});
