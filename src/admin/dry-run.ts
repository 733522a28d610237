/**
 * The dry-run Test (seed 002 "Dry-run a verdict before you depend on it", extended with the
 * destination the seed's Test lacks): one synthetic request through the real engine, against the
 * snapshot in force or against it with draft resources in place of their loaded namesakes.
 *
 * Nothing is dispatched and nothing is recorded as traffic: the decision is not published on the
 * decision channel, so it reaches neither the events log nor the metrics.
 */
import { randomUUID } from 'node:crypto';
import { compileSnapshot, type Snapshot } from '../compile/snapshot';
import { decide } from '../engine/decide';
import { nameToResolve } from '../engine/resolution';
import type { Agent, Decision, EgressRequest } from '../engine/types';
import { requestFromTarget } from '../decide/target-request';
import { resolveAgentWith } from '../identity/resolve-agent';
import { parseDocuments, type RawDocument } from '../policy/documents';
import { parseIpLiteral } from '../policy/ip';
import { normalizeHostname } from '../policy/hostname';
import type { IpAddress } from '../policy/values';
import type { AdminPolicy } from '../sources/admin-policy';
import type { SnapshotStore } from '../sources/snapshot-store';
import { ApiError } from './api-error';
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
  /** The serving process's resolver (bounded, cached). */
  readonly resolve: (host: string) => Promise<readonly IpAddress[]>;
}

export async function dryRun(deps: DryRunDeps, input: DryRunInput): Promise<Decision> {
  const request = requestOf(input);
  const snapshot =
    input.draft === undefined ? deps.snapshots.current() : await draftSnapshot(deps, input.draft);
  const agent = agentOf(snapshot, request, input);
  const context = { id: randomUUID() };
  const host = snapshot === undefined ? undefined : nameToResolve(snapshot, request, agent);
  if (host === undefined) return decide(snapshot, request, agent, context);
  const resolved = fixedAnswer(input.resolve, host) ?? (await deps.resolve(host));
  return decide(snapshot, request, agent, { ...context, resolved });
}

function requestOf(input: DryRunInput): EgressRequest {
  const built = requestFromTarget(input, 'dry-run');
  if (built.ok) return built.request;
  const message = built.field === 'destination' ? `destination ${built.message}` : built.message;
  throw new ApiError('invalid_value', message, { field: `body.${built.field}` });
}

function agentOf(snapshot: Snapshot | undefined, request: EgressRequest, input: DryRunInput): Agent {
  const a = input.agent ?? {};
  return resolveAgentWith(snapshot?.agents, request, {
    ...(a.labels !== undefined ? { labels: a.labels } : {}),
    ...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
  });
}

function fixedAnswer(answers: DryRunInput['resolve'], host: string): readonly IpAddress[] | undefined {
  if (answers === undefined) return undefined;
  for (const [name, ips] of Object.entries(answers)) {
    const normal = normalizeHostname(name);
    if (!normal.ok || normal.host !== host) continue;
    return ips.map((text, i) => {
      const ip = parseIpLiteral(text);
      if (ip === undefined) {
        throw new ApiError('invalid_value', `${text} is not an IP address`, {
          field: `body.resolve.${name}[${i}]`,
        });
      }
      return ip;
    });
  }
  return undefined;
}

async function draftSnapshot(deps: DryRunDeps, draft: string | readonly unknown[]): Promise<Snapshot> {
  const docs: RawDocument[] = [];
  if (typeof draft === 'string') {
    const parsed = parseDocuments('draft', draft);
    const syntax = parsed.issues.filter((i) => i.severity === 'error');
    if (syntax.length > 0) throw rejected(syntax);
    docs.push(...parsed.docs);
  } else {
    draft.forEach((value, i) => docs.push({ file: `draft[${i}]`, line: 0, value, lineOf: () => 0 }));
  }
  const { resources, issues } = await deps.policy.validateWith(docs);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw rejected(errors);
  const version = deps.snapshots.current()?.version ?? 0;
  return compileSnapshot(resources, { version, createdAt: new Date().toISOString() });
}

function rejected(issues: Parameters<typeof issueView>[0][]): ApiError {
  return new ApiError('invalid_policy', `the draft does not validate: ${issues[0]!.message}`, {
    issues: issues.map(issueView),
  });
}
