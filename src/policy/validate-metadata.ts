/**
 * `metadata`, the same for every kind: Kubernetes naming rules, so manifests that load here also
 * apply to a cluster as CRDs and the reverse.
 */
import type { DocPath } from './documents';
import type { ResourceMeta } from './types';
import {
  isDnsLabel,
  isDnsSubdomain,
  optionalFix,
  readObject,
  readString,
  readStringMap,
  suggestDnsName,
} from './validate-common';
import type { ValidationContext } from './validate-context';

export const DEFAULT_NAMESPACE = 'default';

/**
 * Fields the API server fills in. Accepted (with a warning) so `kubectl get -o yaml` output can be
 * fed back in; they never influence a decision.
 */
const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'ownerReferences',
  'finalizers',
  'selfLink',
  'generateName',
];

export interface MetadataResult {
  readonly meta: ResourceMeta;
  /** False when the name is missing or invalid: the resource cannot be referred to or deduplicated. */
  readonly identified: boolean;
}

export function validateMetadata(
  ctx: ValidationContext,
  raw: unknown,
  apiVersion: string,
  group: string,
): MetadataResult {
  const path: DocPath = ['metadata'];
  const source = { file: ctx.doc.file, line: ctx.doc.line, origin: ctx.doc.origin };
  const fallback = { apiVersion, group, name: '', namespace: DEFAULT_NAMESPACE, labels: {}, source };
  if (raw === undefined || raw === null) {
    ctx.error(path, 'POLICY_MISSING_FIELD', '`metadata` is required', 'add `metadata:` with a `name`');
    return { meta: fallback, identified: false };
  }
  const fields = readObject(ctx, raw, path, {
    known: ['name', 'namespace', 'labels', 'annotations'],
    ignored: SERVER_FIELDS,
    required: ['name'],
  });
  if (fields === undefined) return { meta: fallback, identified: false };

  const name = readString(ctx, fields, 'name', path);
  const nameOk = name !== undefined && checkName(ctx, [...path, 'name'], name, 'subdomain');
  const namespace = readString(ctx, fields, 'namespace', path) ?? DEFAULT_NAMESPACE;
  const namespaceOk = checkName(ctx, [...path, 'namespace'], namespace, 'label');
  const labels = readStringMap(ctx, fields, 'labels', path) ?? {};
  for (const [key, value] of Object.entries(labels)) checkLabel(ctx, [...path, 'labels', key], key, value);
  readStringMap(ctx, fields, 'annotations', path);

  return {
    meta: { apiVersion, group, name: name ?? '', namespace, labels, source },
    identified: nameOk && namespaceOk,
  };
}

function checkName(
  ctx: ValidationContext,
  path: DocPath,
  text: string,
  form: 'subdomain' | 'label',
): boolean {
  const ok = form === 'subdomain' ? isDnsSubdomain(text) : isDnsLabel(text);
  if (ok) return true;
  const rule =
    form === 'subdomain'
      ? 'lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 253 characters'
      : 'lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters';
  const suggestion = form === 'subdomain' ? suggestDnsName(text) : suggestDnsName(text).replace(/\./g, '-');
  ctx.error(
    path,
    'POLICY_INVALID_NAME',
    `\`${text}\` is not a valid DNS-1123 ${form}: ${rule}`,
    ...optionalFix(suggestion !== '' && suggestion !== text ? `use \`${suggestion}\`` : undefined),
  );
  return false;
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** Kubernetes label syntax: `[prefix/]name` with a DNS-subdomain prefix; values of at most 63. */
function checkLabel(ctx: ValidationContext, path: DocPath, key: string, value: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const keyOk =
    (prefix === undefined || isDnsSubdomain(prefix)) && name.length <= 63 && LABEL_NAME.test(name);
  if (!keyOk) {
    ctx.error(
      path,
      'POLICY_INVALID_LABEL',
      `label key \`${key}\` is not valid: an optional DNS prefix and \`/\`, then at most 63 letters, digits, \`-\`, \`_\` or \`.\``,
    );
  }
  if (value !== '' && !(value.length <= 63 && LABEL_NAME.test(value))) {
    ctx.error(
      path,
      'POLICY_INVALID_LABEL',
      `label value \`${value}\` is not valid: at most 63 letters, digits, \`-\`, \`_\` or \`.\`, starting and ending with a letter or digit`,
    );
  }
}
