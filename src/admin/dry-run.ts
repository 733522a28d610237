/**
 * The dry-run Test (the firewall model's "Dry-run a verdict before you depend on it", extended with
 * the destination its Test lacks): one synthetic request through the real engine, against the
 * snapshot in force or against it with draft resources in place of their loaded namesakes.
 *
 * Nothing is dispatched and nothing is recorded as traffic: the decision is not published on the
 * decision channel, so it reaches neither the events log nor the metrics.
 */
import { compileSnapshot, type Snapshot } from '../compile/snapshot';
import type { Decision, EgressRequest } from '../engine/types';
import type { Decider } from '../decide/decider';
import { requestFromTarget } from '../decide/target-request';
import { parseDocuments, type RawDocument } from '../policy/documents';
import { parseIpLiteral } from '../policy/ip';
import { fileOrigin } from '../policy/origin';
import { normalizeHostname } from '../policy/hostname';
import type { IpAddress } from '../policy/values';
import type { AdminPolicy } from '../sources/admin-policy';
import type { SnapshotStore } from '../sources/snapshot-store';
import { PortcullisError } from '../errors/portcullis-error';
import { issueView } from './issue-view';

export interface DryRunInput {
  readonly agent?: {
    readonly name?: string;
    readonly key?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly namespace?: string;
    readonly principal?: string;
    readonly source?: string;
  };
  /** `host:port`, or an absolute URL (`https://api.example.com/v1`). */
  readonly destination: string;
  readonly protocol?: 'tcp' | 'udp';
  readonly method?: string;
  readonly sni?: string;
  readonly gateway?: string;
  readonly listener?: string;
  /** Fixed answers for name resolution, so a test needs no DNS: `{"metadata.internal": ["169.254.169.254"]}`. */
  readonly resolve?: Readonly<Record<string, readonly string[]>>;
  /** Resources to try: YAML text (one or more documents) or a list of resource objects. */
  readonly draft?: string | readonly unknown[];
}

export interface DryRunDeps {
  readonly snapshots: SnapshotStore;
  readonly policy: AdminPolicy;
  /** The serving process's decider, with its resolver (bounded, cached). */
  readonly decider: Decider;
}

export async function dryRun(deps: DryRunDeps, input: DryRunInput): Promise<Decision> {
  const request = requestOf(input);
  const snapshot = input.draft === undefined ? undefined : await draftSnapshot(deps, input.draft);
  const a = input.agent ?? {};
  return deps.decider.decide(request, {
    snapshot,
    agent: {
      ...(a.labels !== undefined ? { labels: a.labels } : {}),
      ...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
    },
    answers: fixedAnswers(input.resolve),
  });
}

function requestOf(input: DryRunInput): EgressRequest {
  const built = requestFromTarget(input, 'dry-run');
  if (built.ok) return built.request;
  const message = built.field === 'destination' ? `destination ${built.message}` : built.message;
  throw new PortcullisError('invalid_value', message, { field: `body.${built.field}` });
}

function fixedAnswers(answers: DryRunInput['resolve']): Map<string, readonly IpAddress[]> | undefined {
  if (answers === undefined) return undefined;
  const map = new Map<string, readonly IpAddress[]>();
  for (const [name, ips] of Object.entries(answers)) {
    const normal = normalizeHostname(name);
    if (!normal.ok) {
      throw new PortcullisError('invalid_value', `${name} is not a host name: ${normal.message}`, {
        field: `body.resolve.${name}`,
      });
    }
    map.set(
      normal.host,
      ips.map((text, i) => {
        const ip = parseIpLiteral(text);
        if (ip === undefined) {
          throw new PortcullisError('invalid_value', `${text} is not an IP address`, {
            field: `body.resolve.${name}[${i}]`,
          });
        }
        return ip;
      }),
    );
  }
  return map;
}

async function draftSnapshot(deps: DryRunDeps, draft: string | readonly unknown[]): Promise<Snapshot> {
  const docs: RawDocument[] = [];
  if (typeof draft === 'string') {
    const parsed = parseDocuments('draft', draft);
    const syntax = parsed.issues.filter((i) => i.severity === 'error');
    if (syntax.length > 0) throw rejected(syntax);
    docs.push(...parsed.docs);
  } else {
    // A draft is text the caller sent, read like a file of that name: `draft`, `draft[0]`, …
    draft.forEach((value, i) => {
      const file = `draft[${i}]`;
      docs.push({ file, origin: fileOrigin(file, 0), line: 0, value, lineOf: () => 0 });
    });
  }
  const { resources, issues } = await deps.policy.validateWith(docs);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw rejected(errors);
  const version = deps.snapshots.current()?.version ?? 0;
  return compileSnapshot(resources, { version, createdAt: new Date().toISOString() });
}

function rejected(issues: Parameters<typeof issueView>[0][]): PortcullisError {
  return new PortcullisError('invalid_policy', `the draft does not validate: ${issues[0]!.message}`, {
    issues: issues.map(issueView),
  });
}
