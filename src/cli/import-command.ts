import { parseArgs } from 'node:util';
import { LineCounter, isMap, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { formatIssue } from '../policy/validate';
import { NATIVE_API_VERSION, NATIVE_GROUP } from '../policy/types';
import { KINDS } from '../policy/validate-registry';
import { loadPolicies, readPolicyPaths } from '../sources/read-policy-files';
import type { CommandIo } from './io';
import type { CommandHelp } from './command-help';
import { usageError } from './usage-error';

export const IMPORT_USAGE =
  'portcullis import FILE… [--with PATH]…   (prints the egress.portcullis.dev/v1alpha1 equivalent)';

export const IMPORT_HELP: CommandHelp = {
  usage: IMPORT_USAGE,
  summary: [
    'Rewrite seed-format manifests (clrk.apoxy.dev, policies.mirrord.metalbear.co) to our API group',
    'and print them as one YAML stream; they decide exactly as before. Comments are kept.',
  ],
  operands: { 'FILE…': 'manifests or directories to translate' },
  flags: {
    with: {
      value: 'PATH',
      repeatable: true,
      help: 'policy the FILEs refer to (their gateway, the routes a deny policy targets): read, not printed',
    },
  },
  notes: ['exit codes: 0 printed, 1 the input is not valid policy (nothing printed), 2 usage error'],
};

/** References that another file may satisfy: `--with` is the fix. */
const CROSS_FILE_CODES: ReadonlySet<string> = new Set(['POLICY_UNKNOWN_GATEWAY', 'POLICY_UNKNOWN_ROUTE']);

/** Fields that name another resource's API group: Gateway API parentRefs and GEP-713 targetRef. */
const REF_PATHS: readonly (readonly string[])[] = [
  ['spec', 'parentRefs'],
  ['spec', 'targetRef'],
];

/**
 * `portcullis import FILE…`: manifests in the upstream groups (clrk.apoxy.dev EgressGateway,
 * EgressL4Route, EgressDenyPolicy; policies.mirrord.metalbear.co MirrordPolicy,
 * MirrordClusterPolicy) rewritten to our API group, as one multi-document YAML stream on stdout.
 * The upstream groups are aliases of one model (KINDS in src/policy/validate-registry.ts), so only
 * `apiVersion` and the `group` of references change: the output decides exactly as the input does.
 * Each document keeps its comments and gains one naming where it came from; documents already in
 * our group pass through. `--with PATH` adds policy the files refer to (a route's gateway in a file
 * of its own) so they validate; it is read, never printed. Exit 0, 1 when the input is not valid
 * policy (nothing is printed), 2 on usage errors.
 */
export async function importCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { paths, context } = parse(args);

  // One policy set, as serve would load the files together, so references resolve across them;
  // a file named both ways is read once, as one to translate.
  const { issues } = await loadPolicies([...paths, ...context]);
  for (const issue of issues) io.err(formatIssue(issue));
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    if (errors.some((i) => CROSS_FILE_CODES.has(i.code))) {
      io.err('if what is referred to is defined in another file, name that file with --with PATH');
    }
    io.err(`${errors.length} error(s) in ${[...paths, ...context].join(', ')}; nothing was imported`);
    return 1;
  }

  const { files } = await readPolicyPaths(paths);
  const out: string[] = [];
  const problems: string[] = [];
  for (const { file, text } of files) {
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter })) {
      if (doc.contents === null) continue;
      const line = lineCounter.linePos(doc.contents.range?.[0] ?? doc.range[0]).line;
      const converted = convert(doc, `${file}:${line}`);
      if (typeof converted === 'string') out.push(converted);
      else problems.push(converted.problem);
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) io.err(problem);
    return 1;
  }
  io.out(out.join('---\n').replace(/\n$/, ''));
  return 0;
}

function parse(args: readonly string[]): { paths: string[]; context: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { with: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : String(err));
  }
  const paths = parsed.positionals;
  if (paths.length === 0) throw usageError('name at least one policy file or directory');
  return { paths, context: parsed.values.with ?? [] };
}

function convert(doc: Document.Parsed, where: string): string | { problem: string } {
  const apiVersion = String(doc.get('apiVersion'));
  const kind = String(doc.get('kind'));
  let note = `from ${where}`;
  if (apiVersion !== NATIVE_API_VERSION) {
    if (KINDS.get(kind)?.apiVersions.includes(NATIVE_API_VERSION) !== true) {
      return { problem: `${where}: ${kind} has no ${NATIVE_API_VERSION} equivalent; it was not imported` };
    }
    doc.set('apiVersion', NATIVE_API_VERSION);
    for (const path of REF_PATHS) rewriteGroups(doc.getIn(path));
    note += ` (was ${apiVersion})`;
  }
  doc.directives.docStart = null;
  // Beside the comments already there, so none of them drifts away from its document.
  const holder = typeof doc.commentBefore === 'string' || doc.contents === null ? doc : doc.contents;
  holder.commentBefore =
    typeof holder.commentBefore === 'string' ? ` ${note}\n${holder.commentBefore}` : ` ${note}`;
  return doc.toString({ flowCollectionPadding: false });
}

/** A reference naming a seed group now names ours; an omitted group already defaults to it. */
function rewriteGroups(node: unknown): void {
  const refs = isSeq(node) ? node.items : [node];
  for (const ref of refs) {
    if (!isMap(ref)) continue;
    const group = ref.get('group');
    if (typeof group === 'string' && group !== NATIVE_GROUP) ref.set('group', NATIVE_GROUP);
  }
}
