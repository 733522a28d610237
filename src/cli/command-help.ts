/**
 * `portcullis COMMAND --help`: the usage line, what the command does, and one line per option.
 * Each command keeps its own text beside its code; this only lays it out the same way for all.
 */

export interface FlagHelp {
  /** The value's placeholder (`PATH`, `HOST:PORT`); absent for a boolean flag. */
  readonly value?: string;
  /** One line. */
  readonly help: string;
  /** The flag may be given more than once. */
  readonly repeatable?: boolean;
}

export interface CommandHelp {
  readonly usage: string;
  /** What the command does, in a line or two. */
  readonly summary: readonly string[];
  /** Positional arguments: name → one line. */
  readonly operands?: Readonly<Record<string, string>>;
  readonly flags: Readonly<Record<string, FlagHelp>>;
  /** Exit codes, environment, examples: printed last. */
  readonly notes?: readonly string[];
}

/** True when the arguments (up to a `--` terminator) ask for help. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

export function formatCommandHelp(command: CommandHelp): string {
  const operands = Object.entries(command.operands ?? {});
  const rows: [string, string][] = [];
  for (const [name, flag] of Object.entries(command.flags)) {
    const value = flag.value === undefined ? '' : ` ${flag.value}`;
    rows.push([`--${name}${value}`, flag.repeatable === true ? `${flag.help} (repeatable)` : flag.help]);
  }
  rows.push(['-h, --help', 'print this help and exit 0']);
  const width = Math.min(30, Math.max(...[...operands, ...rows].map(([left]) => left.length)));
  const row = (left: string, right: string): string =>
    left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`;
  const lines = [`usage: ${command.usage}`, '', ...command.summary, ''];
  if (operands.length > 0) lines.push('arguments:', ...operands.map(([left, right]) => row(left, right)));
  lines.push('options:', ...rows.map(([left, right]) => row(left, right)));
  if (command.notes !== undefined && command.notes.length > 0) lines.push('', ...command.notes);
  return lines.join('\n');
}

/** A usage line built from the flags, so it cannot drift from them: `[--x VALUE]…` each. */
export function usageFromFlags(
  command: string,
  flags: Readonly<Record<string, FlagHelp>>,
  required: readonly string[] = [],
): string {
  const parts = [`portcullis ${command}`];
  for (const [name, flag] of Object.entries(flags)) {
    const text = `--${name}${flag.value === undefined ? '' : ` ${flag.value}`}`;
    const more = flag.repeatable === true ? '…' : '';
    parts.push(required.includes(name) ? `${text}${more}` : `[${text}]${more}`);
  }
  return parts.join(' ');
}
