/** `--help` and `-h` on every command, and the usage hint on an unknown flag. */
import { SERVE_OPTIONS } from '../config/serve-config';
import { asksForHelp, formatCommandHelp, usageFromFlags } from './command-help';
import { main } from './main';
import { SERVE_FLAGS } from './serve-command';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const COMMANDS = ['serve', 'validate', 'check', 'import', 'hash-key'] as const;

/** One option per line: `  --flag VALUE   one line of help`. */
function optionLines(help: string): Map<string, string> {
  const lines = help.split('\n');
  const from = lines.indexOf('options:');
  const options = new Map<string, string>();
  for (const line of lines.slice(from + 1)) {
    const match = /^ {2}(--[a-z0-9-]+|-h, --help)(?: \S+)?\s{2,}(\S.*)$/.exec(line);
    if (match === null) break;
    options.set(match[1]!, match[2]!);
  }
  return options;
}

describe.each(COMMANDS)('portcullis %s', (command) => {
  it.each(['--help', '-h'])('%s prints usage and options, exit 0, and runs nothing', async (flag) => {
    const r = await run(command, flag);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toHaveLength(1);
    const help = r.out[0]!;
    expect(help).toMatch(new RegExp(`^usage: portcullis ${command}`));
    expect(optionLines(help).get('-h, --help')).toBe('print this help and exit 0');
    expect(help).toMatch(/\nexit codes: 0 /);
  });

  it('--help wins wherever it stands among other arguments', async () => {
    const r = await run(command, '--bogus', '--help');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^usage: /);
  });

  it('an unknown flag prints the usage hint and exits 2', async () => {
    const r = await run(command, '--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    const lines = r.err[0]!.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^portcullis ${command}: `));
    expect(lines[1]).toMatch(new RegExp(`^usage: portcullis ${command}`));
    expect(lines[2]).toBe(`(portcullis ${command} --help lists every option)`);
  });
});

describe('what the help lists', () => {
  it('check: every flag it parses, one line each', async () => {
    const options = optionLines((await run('check', '--help')).out[0]!);
    for (const flag of [
      '--policy',
      '--server',
      '--timeout-ms',
      '--dest',
      '--l4',
      '--transparent',
      '--address',
      '--key',
      '--json',
    ]) {
      expect(options.get(flag)).toMatch(/\S/);
    }
  });

  it('serve: every flag of SERVE_OPTIONS (src/config/serve-config.ts) has its own line of help', async () => {
    const missing = Object.keys(SERVE_OPTIONS).filter(
      (flag) => SERVE_FLAGS[flag as keyof typeof SERVE_OPTIONS] === undefined,
    );
    expect(missing).toEqual([]);
    const options = optionLines((await run('serve', '--help')).out[0]!);
    expect([...options.keys()].sort()).toEqual(
      [...Object.keys(SERVE_OPTIONS).map((f) => `--${f}`), '-h, --help'].sort(),
    );
  });

  it('help COMMAND is COMMAND --help; help alone lists the commands', async () => {
    expect((await run('help', 'check')).out).toEqual((await run('check', '--help')).out);
    const all = await run('help');
    expect(all.code).toBe(0);
    for (const command of COMMANDS) expect(all.out[0]).toContain(`  portcullis ${command}`);
    expect((await run('help', 'nope')).code).toBe(2);
  });
});

describe('command-help', () => {
  it('asksForHelp stops at --', () => {
    expect(asksForHelp(['a', '-h'])).toBe(true);
    expect(asksForHelp(['--', '--help'])).toBe(false);
    expect(asksForHelp(['--helpful'])).toBe(false);
  });

  it('usageFromFlags marks required, optional and repeatable flags', () => {
    expect(
      usageFromFlags('x', { a: { value: 'A', help: '', repeatable: true }, b: { help: '' } }, ['a']),
    ).toBe('portcullis x --a A… [--b]');
  });

  it('a long flag gets its help on the next line, aligned', () => {
    const text = formatCommandHelp({
      usage: 'portcullis x',
      summary: ['X.'],
      flags: { [`${'y'.repeat(40)}`]: { help: 'long one' }, z: { help: 'short' } },
    });
    expect(text).toContain(`  --${'y'.repeat(40)}\n${' '.repeat(34)}long one`);
    expect(text).toContain(`  --z${' '.repeat(27)}  short`);
  });
});
