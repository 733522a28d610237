import { loadPolicies } from '../sources/read-policy-files';
import { formatIssue } from '../policy/validate';
import { usageError } from './usage-error';
import type { CommandIo } from './io';
import type { CommandHelp } from './command-help';

export const VALIDATE_USAGE = 'portcullis validate PATH…';

export const VALIDATE_HELP: CommandHelp = {
  usage: VALIDATE_USAGE,
  summary: [
    'Load and check policy files as serve would, reporting every problem at once, one line each:',
    'file:line: path: message (fix: …). Warnings are printed but do not fail.',
  ],
  operands: { 'PATH…': 'policy files or directories (*.yaml, *.yml, *.json)' },
  flags: {},
  notes: ['exit codes: 0 valid, 1 an error in the policy, 2 usage error'],
};

/**
 * `portcullis validate PATH…`: exit 0 when every resource is valid, 1 with one line per problem
 * (`file:line: path: message`), 2 on usage errors. Warnings are printed but do not fail.
 */
export async function validateCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const paths = args.filter((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  if (flags.length > 0) throw usageError(`unknown option ${flags[0]}`);
  if (paths.length === 0) throw usageError('name at least one policy file or directory');
  const { resources, issues } = await loadPolicies(paths);
  for (const issue of issues) io.err(formatIssue(issue));
  const errors = issues.filter((i) => i.severity === 'error').length;
  if (errors > 0) {
    io.err(`${errors} error(s) in ${paths.join(', ')}`);
    return 1;
  }
  io.out(`ok: ${resources.length} resource(s) valid`);
  return 0;
}
