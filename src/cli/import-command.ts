import { LineCounter, isMap, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { formatIssue } from '../policy/validate';
import { NATIVE_API_VERSION, NATIVE_GROUP } from '../policy/types';
import { KINDS } from '../policy/validate-registry';
import { loadPolicies, readPolicyPaths } from '../sources/read-policy-files';
import type { CommandIo } from './io';
import type { CommandHelp } from './command-help';
import { UsageError } from './usage-error';

export const IMPORT_USAGE =
  'portcullis import FILE…   (prints the egress.portcullis.dev/v1alpha1 equivalent)';

export const IMPORT_HELP: CommandHelp = {
  usage: IMPORT_USAGE,
  summary: [
    'Rewrite seed-format manifests (clrk.apoxy.dev, policies.mirrord.metalbear.co) to our API group',
    'and print them as one YAML stream; they decide exactly as before. Comments are kept.',
  ],
  operands: { 'FILE…': 'manifests or directories to translate' },
  flags: {},
  notes: ['exit codes: 0 printed, 1 the input is not valid policy (nothing printed), 2 usage error'],
};

/** Fields that name another resource's API group: Gateway API parentRefs and GEP-713 targetRef. */
const REF_PATHS: readonly (readonly string[])[] = [
  ['spec', 'parentRefs'],
  ['spec', 'targetRef'],
];

/**
 * `portcullis import FILE…`: seed-format manifests (clrk.apoxy.dev EgressGateway, EgressL4Route,
 * EgressDenyPolicy; policies.mirrord.metalbear.co MirrordPolicy, MirrordClusterPolicy) rewritten to
 * our API group, as one multi-document YAML stream on stdout. The seed groups are aliases of one
 * model (PRODUCT.md §2), so only `apiVersion` and the `group` of references change: the output
 * decides exactly as the input does. Each document keeps its comments and gains one naming where
 * it came from; documents already in our group pass through. Exit 0, 1 when the input is not
 * valid policy (nothing is printed), 2 on usage errors.
 */
export async function importCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const flags = args.filter((a) => a.startsWith('-'));
  if (flags.length > 0) throw new UsageError(`unknown option ${flags[0]}`);
  if (args.length === 0) throw new UsageError('name at least one policy file or directory');

  const { issues } = await loadPolicies(args);
  for (const issue of issues) io.err(formatIssue(issue));
  const errors = issues.filter((i) => i.severity === 'error').length;
  if (errors > 0) {
    io.err(`${errors} error(s) in ${args.join(', ')}; nothing was imported`);
    return 1;
  }

  const { files } = await readPolicyPaths(args);
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
