/**
 * `MirrordPolicy` and `MirrordClusterPolicy`: outgoing-traffic allow and block rules for
 * the agents a policy targets, by label `selector` and `targetPath` glob.
 *
 * mirrord's own manifests load unchanged: the other features of mirrord's policy CRD (`block` of session
 * features, `env`, `fs`, incoming-traffic filters, profiles) govern a mirrord session, not egress,
 * so they are accepted with a warning that says Portcullis ignores them. Anything else unknown is an
 * error. The later docs' `outgoingTraffic` form (with `default: block`, contradicting the original
 * form's "empty policies remain permissive") is refused rather than guessed at.
 */
import type { DocPath } from './documents';
import { MIRRORD_NETWORK, MIRRORD_OUTGOING, MIRRORD_SPEC } from './kinds/mirrord';
import { shapeOf } from './kinds/object-shape';
import type { ObjectNode } from './kinds/schema-node';
import type { MirrordPolicy, MirrordRule, ResourceMeta } from './types';
import { MIRRORD_GROUP, NATIVE_API_VERSION } from './types';
import { isFields, optionalFix, readList, readObject, readString } from './validate-common';
import type { ValidationContext } from './validate-context';
import { formatPath, parsePath } from './validate-context';
import type { KindValidator } from './validate-kind';
import type { RuleList } from './validate-mirrord-rule';
import { validateMirrordRule } from './validate-mirrord-rule';
import { validateSelector } from './validate-selector';
import { extend } from './extend';

export const MIRRORD_API_VERSION = `${MIRRORD_GROUP}/v1alpha`;
const API_VERSIONS: readonly string[] = [NATIVE_API_VERSION, MIRRORD_API_VERSION];

type MirrordKind = MirrordPolicy['kind'];

export const mirrordPolicyKind: KindValidator<MirrordPolicy> = {
  kind: 'MirrordPolicy',
  apiVersions: API_VERSIONS,
  validate: (ctx, spec, meta) => validateMirrord(ctx, spec, meta, 'MirrordPolicy'),
};

export const mirrordClusterPolicyKind: KindValidator<MirrordPolicy> = {
  kind: 'MirrordClusterPolicy',
  apiVersions: API_VERSIONS,
  validate: (ctx, spec, meta) => validateMirrord(ctx, spec, meta, 'MirrordClusterPolicy'),
};

/** Upstream fields with no meaning for egress, and what they do in mirrord (their description). */
function ignoredFields(node: ObjectNode): Readonly<Record<string, string>> {
  return Object.fromEntries(
    Object.entries(node.properties).flatMap(([name, field]) =>
      field.type === 'ignored' ? [[name, field.description]] : [],
    ),
  );
}

const IGNORED_SPEC = ignoredFields(MIRRORD_SPEC);
const IGNORED_NETWORK = ignoredFields(MIRRORD_NETWORK);

/**
 * Ignored fields are read as known ones: their warning (`warnIgnored`) says what each does in
 * mirrord, which says more than readObject's generic one.
 */
function acceptingIgnored(node: ObjectNode) {
  const shape = shapeOf(node);
  return { known: [...shape.known, ...(shape.ignored ?? [])], fields: shape.fields ?? {} };
}

const SPEC_SHAPE = acceptingIgnored(MIRRORD_SPEC);
const NETWORK_SHAPE = acceptingIgnored(MIRRORD_NETWORK);
const OUTGOING_SHAPE = shapeOf(MIRRORD_OUTGOING);

function validateMirrord(
  ctx: ValidationContext,
  spec: unknown,
  meta: ResourceMeta,
  kind: MirrordKind,
): MirrordPolicy | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;
  warnIgnored(ctx, fields, path, IGNORED_SPEC);
  if (fields['outgoingTraffic'] !== undefined) {
    ctx.error(
      [...path, 'outgoingTraffic'],
      'POLICY_UNKNOWN_FIELD',
      '`outgoingTraffic` (with its `default` posture) is not supported; Portcullis reads the `network.outgoing` form, where a policy without rules permits',
      'move the `allow` and `block` lists under `network: {outgoing: {…}}`',
    );
  }
  const errors = ctx.errorCount;
  const selector = readSelector(ctx, fields['selector'], [...path, 'selector']);
  const targetPath = readTargetPath(ctx, fields, path);
  const rules = readNetwork(ctx, fields['network'], [...path, 'network']);
  if (ctx.errorCount > errors || rules === undefined) return undefined;

  if (rules.allow.length === 0 && rules.block.length === 0) {
    ctx.warn(
      [...path, 'network'],
      'POLICY_PERMITS_EVERYTHING',
      'this policy has no `network.outgoing` rules, so it permits every connection of the agents it selects (as in mirrord, an empty policy remains permissive)',
      'add `network.outgoing.allow` or `network.outgoing.block` rules',
    );
  }
  const resource: MirrordPolicy = extend({ kind, meta: scopedMeta(ctx, meta, kind) }, rules);
  return extend(
    extend(resource, selector === undefined ? {} : { selector }),
    targetPath === undefined ? {} : { targetPath },
  );
}

function warnIgnored(
  ctx: ValidationContext,
  fields: Readonly<Record<string, unknown>>,
  path: DocPath,
  table: Readonly<Record<string, string>>,
): void {
  for (const [key, what] of Object.entries(table)) {
    if (fields[key] === undefined) continue;
    ctx.warn(
      [...path, key],
      'POLICY_IGNORED_FIELD',
      `\`${key}\` is ignored by Portcullis: in mirrord it ${what}; only \`network.outgoing\` applies to egress`,
    );
  }
}

/**
 * A cluster policy has no namespace (Kubernetes drops `metadata.namespace` on cluster-scoped
 * objects), so it is reported as `MirrordClusterPolicy <name>` rather than under `default`.
 */
function scopedMeta(ctx: ValidationContext, meta: ResourceMeta, kind: MirrordKind): ResourceMeta {
  if (kind === 'MirrordPolicy') return meta;
  const raw = isFields(ctx.doc.value) ? ctx.doc.value['metadata'] : undefined;
  if (isFields(raw) && raw['namespace'] !== undefined && raw['namespace'] !== null) {
    ctx.warn(
      ['metadata', 'namespace'],
      'POLICY_IGNORED_FIELD',
      'a MirrordClusterPolicy is cluster-scoped: `metadata.namespace` is ignored and the policy applies to agents in every namespace',
      'remove `metadata.namespace`, or use a MirrordPolicy to limit it to one namespace',
    );
  }
  return extend(meta, { namespace: '' });
}

function readSelector(ctx: ValidationContext, raw: unknown, path: DocPath): MirrordPolicy['selector'] {
  if (raw === undefined || raw === null) return undefined;
  const result = validateSelector(raw, formatPath(path));
  for (const problem of result.problems) {
    ctx.error(
      parsePath(problem.path),
      'POLICY_INVALID_SELECTOR',
      problem.message,
      ...optionalFix(problem.fix),
    );
  }
  return result.selector;
}

/** mirrord's target kinds; Portcullis agents have none, so only the name part is matched. */
const TARGET_TYPES = [
  'pod',
  'deploy',
  'deployment',
  'rollout',
  'job',
  'cronjob',
  'statefulset',
  'service',
  'replicaset',
];
const NAME_GLOB = /^[A-Za-z0-9._*?-]+$/;

/**
 * A glob over agent names: `*` any run of characters, `?` exactly one. mirrord's own notation
 * (`deploy/boats*`, `pod/x/container/y`) is accepted: the target kind and container are dropped with
 * a warning, which can only make the policy select more agents, and a policy only ever restricts.
 */
function readTargetPath(
  ctx: ValidationContext,
  fields: Readonly<Record<string, unknown>>,
  path: DocPath,
): string | undefined {
  const text = readString(ctx, fields, 'targetPath', path);
  if (text === undefined) return undefined;
  const at = [...path, 'targetPath'];
  const parts = text.split('/');
  const [first = '', second = '', third, fourth = ''] = parts;
  const typed = parts.length === 2 || (parts.length === 4 && third === 'container');
  const name = typed ? second : first;
  if (typed && !TARGET_TYPES.includes(first)) {
    ctx.error(
      at,
      'POLICY_INVALID_VALUE',
      `targetPath ${JSON.stringify(text)}: \`${first}\` is not a mirrord target kind`,
      `use one of ${TARGET_TYPES.join(', ')} before the \`/\`, or give only an agent-name glob`,
    );
    return undefined;
  }
  if (
    (parts.length > 1 && !typed) ||
    !NAME_GLOB.test(name) ||
    (parts.length === 4 && !NAME_GLOB.test(fourth))
  ) {
    ctx.error(
      at,
      'POLICY_INVALID_VALUE',
      `targetPath ${JSON.stringify(text)} is not a glob over agent names`,
      'use letters, digits, `-`, `_` and `.`, with `*` for any run of characters and `?` for one (it is a glob, not a regex), optionally after a mirrord target kind: `deploy/boats*`',
    );
    return undefined;
  }
  if (typed) {
    ctx.warn(
      at,
      'POLICY_IGNORED_FIELD',
      `Portcullis agents have no mirrord target kind${parts.length === 4 ? ' or container' : ''}: only the name glob \`${name}\` is matched, against agent names`,
    );
  }
  return name;
}

function readNetwork(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
): { allow: MirrordRule[]; block: MirrordRule[] } | undefined {
  if (raw === undefined || raw === null) return { allow: [], block: [] };
  const fields = readObject(ctx, raw, path, NETWORK_SHAPE);
  if (fields === undefined) return undefined;
  warnIgnored(ctx, fields, path, IGNORED_NETWORK);
  const outgoing = fields['outgoing'];
  if (outgoing === undefined || outgoing === null) return { allow: [], block: [] };
  const at = [...path, 'outgoing'];
  const lists = readObject(ctx, outgoing, at, OUTGOING_SHAPE);
  if (lists === undefined) return undefined;
  const read = (list: RuleList): MirrordRule[] =>
    (readList(ctx, lists, list, at) ?? []).flatMap((entry, index) => {
      const rule = validateMirrordRule(ctx, entry, [...at, list, index], list);
      return rule === undefined ? [] : [rule];
    });
  return { allow: read('allow'), block: read('block') };
}
