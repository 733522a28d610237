/**
 * `EgressAgent` (src/identity/resolve-agent.ts): who an agent is (EgressNamespace path, labels, the
 * firewall policy attached to its key) and the evidence that recognises it: the name Envoy sends,
 * mTLS principals, key digests and source CIDRs.
 *
 * Keys are only ever written as SHA-256 digests. Policy files end up in Git, ConfigMaps and
 * `kubectl get -o yaml` output, so a key written in clear is a leaked key; a field that looks like
 * one is an error, and no message here ever repeats a value that might be a key.
 */
import { validateSelector } from './validate-selector';
import { parseCidr } from './cidr';
import type { DocPath } from './documents';
import { AGENT_SPEC, KEY_ENTRY, RAW_SECRET_FIELDS, RECOGNISE } from './kinds/agent';
import { shapeOf } from './kinds/object-shape';
import type { EgressAgent, ResourceMeta } from './types';
import { NATIVE_API_VERSION } from './types';
import type { Cidr } from './values';
import { didYouMean } from './suggest';
import { checkIdentityClaims } from './validate-agent-claims';
import type { Fields } from './validate-common';
import {
  isDnsLabel,
  isDnsSubdomain,
  isFields,
  optionalFix,
  readList,
  readObject,
  readString,
  readStringMap,
  typeName,
} from './validate-common';
import type { ValidationContext } from './validate-context';
import { parsePath } from './validate-context';
import type { KindValidator, ResourceWorld } from './validate-kind';
import { extend } from './extend';

const SPEC_SHAPE = shapeOf(AGENT_SPEC);
const RECOGNISE_SHAPE = shapeOf(RECOGNISE);
/**
 * `sha256` is required, but checked below rather than by readObject: after a key written in clear,
 * "sha256 is required" would only repeat the fix.
 */
const KEY_SHAPE = { known: shapeOf(KEY_ENTRY).known };
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const HEX = /^[0-9a-f]*$/i;
/** Printable ASCII without spaces: what a gRPC metadata value or context extension can carry. */
const CONTEXT_NAME = /^[\x21-\x7e]{1,253}$/;
/** Istio's AuthorizationPolicy principal form; Envoy reports the full `spiffe://` URI SAN. */
const ISTIO_PRINCIPAL = /^[^/:\s]+\/ns\/[^/\s]+\/sa\/[^/\s]+$/;

export const RAW_SECRET_FIX =
  'never write the key itself: run `portcullis hash-key` (it reads the key from standard input, so it stays out of shell history), list the digest it prints as `recognise.keys: [{ sha256: <digest> }]`, and rotate the key, since it has now been written down';

export const agentKind: KindValidator<EgressAgent> = {
  kind: 'EgressAgent',
  apiVersions: [NATIVE_API_VERSION],
  validate: validateAgent,
  crossCheck: checkAgent,
};

function validateAgent(ctx: ValidationContext, spec: unknown, meta: ResourceMeta): EgressAgent | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;
  rejectRawSecrets(ctx, fields, path);

  const namespacePath = readNamespacePath(ctx, fields, path);
  const labels = Object.assign({}, meta.labels, readLabels(ctx, fields, path));
  const firewallPolicy = readString(ctx, fields, 'firewallPolicy', path);
  if (firewallPolicy !== undefined && !isDnsSubdomain(firewallPolicy)) {
    ctx.error(
      [...path, 'firewallPolicy'],
      'POLICY_INVALID_NAME',
      `\`${firewallPolicy}\` is not a valid EgressFirewallPolicy name`,
    );
  }
  const recognise = readRecognise(ctx, fields['recognise'], [...path, 'recognise'], meta);
  if (recognise === undefined || ctx.errorCount > errors) return undefined;
  const agent: EgressAgent = extend({ kind: 'EgressAgent' as const, meta, namespacePath, labels }, recognise);
  return firewallPolicy === undefined ? agent : extend(agent, { firewallPolicy });
}

type Recognise = Pick<EgressAgent, 'contextName' | 'principals' | 'keySha256' | 'sourceCIDRs'>;

function readRecognise(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  meta: ResourceMeta,
): Recognise | undefined {
  const empty: Recognise = { contextName: meta.name, principals: [], keySha256: [], sourceCIDRs: [] };
  if (raw === undefined || raw === null) return empty;
  const fields = readObject(ctx, raw, path, RECOGNISE_SHAPE);
  if (fields === undefined) return undefined;
  rejectRawSecrets(ctx, fields, path);

  const contextName = readString(ctx, fields, 'contextName', path) ?? meta.name;
  if (!CONTEXT_NAME.test(contextName)) {
    ctx.error(
      [...path, 'contextName'],
      'POLICY_INVALID_VALUE',
      'contextName must be 1 to 253 printable characters without spaces (it is compared with the `agent` context extension or `x-portcullis-agent` metadata)',
    );
  }
  const principals = (readList(ctx, fields, 'principals', path) ?? []).flatMap((entry, index) =>
    readPrincipal(ctx, entry, [...path, 'principals', index]),
  );
  const keySha256 = (readList(ctx, fields, 'keys', path) ?? []).flatMap((entry, index) =>
    readKey(ctx, entry, [...path, 'keys', index]),
  );
  const sourceCIDRs = (readList(ctx, fields, 'sourceCIDRs', path) ?? []).flatMap((entry, index) =>
    readCidr(ctx, entry, [...path, 'sourceCIDRs', index]),
  );
  return { contextName, principals, keySha256, sourceCIDRs };
}

function rejectRawSecrets(ctx: ValidationContext, fields: Fields, path: DocPath): void {
  for (const name of RAW_SECRET_FIELDS) {
    if (fields[name] === undefined) continue;
    ctx.error(
      [...path, name],
      'POLICY_RAW_SECRET',
      `\`${name}\` would hold a secret in clear; an agent's keys are given only as SHA-256 digests`,
      RAW_SECRET_FIX,
    );
  }
}

/** `prod/payments/eu-west`: DNS labels joined by `/`; `` is the root. */
function readNamespacePath(ctx: ValidationContext, fields: Fields, path: DocPath): string {
  const text = readString(ctx, fields, 'namespace', path) ?? '';
  if (text === '' || text.split('/').every(isDnsLabel)) return text;
  const cleaned = text
    .split('/')
    .map((segment) =>
      segment
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, ''),
    )
    .filter((segment) => segment !== '')
    .join('/');
  ctx.error(
    [...path, 'namespace'],
    'POLICY_INVALID_NAME',
    `\`${text}\` is not an EgressNamespace path: lower-case DNS labels joined by \`/\`, such as \`prod/payments\` (leave it out for the root)`,
    ...optionalFix(cleaned !== '' && cleaned !== text ? `use \`${cleaned}\`` : undefined),
  );
  return text;
}

/** Label keys and values follow Kubernetes, checked by the same code as selectors. */
function readLabels(ctx: ValidationContext, fields: Fields, path: DocPath): Record<string, string> {
  const labels = readStringMap(ctx, fields, 'labels', path) ?? {};
  for (const problem of validateSelector({ matchLabels: labels }, '').problems) {
    const [, ...rest] = parsePath(problem.path);
    ctx.error(
      [...path, 'labels', ...rest],
      'POLICY_INVALID_LABEL',
      problem.message,
      ...optionalFix(problem.fix),
    );
  }
  return labels;
}

function readPrincipal(ctx: ValidationContext, entry: unknown, path: DocPath): string[] {
  if (typeof entry !== 'string' || entry.trim() === '') {
    ctx.error(path, 'POLICY_WRONG_TYPE', `a principal must be a non-empty string, found ${typeName(entry)}`);
    return [];
  }
  if (ISTIO_PRINCIPAL.test(entry)) {
    ctx.error(
      path,
      'POLICY_INVALID_VALUE',
      `\`${entry}\` is Istio's short form; Envoy reports the client certificate's full URI SAN, so this never matches`,
      `write \`spiffe://${entry}\``,
    );
    return [];
  }
  return [entry];
}

/** `{sha256: <64 hex>}`; stored lower-case so lookups compare one spelling. */
function readKey(ctx: ValidationContext, entry: unknown, path: DocPath): string[] {
  if (typeof entry === 'string') {
    if (SHA256_HEX.test(entry)) {
      ctx.error(path, 'POLICY_WRONG_TYPE', 'a key entry is a map', 'write it as `- sha256: <digest>`');
    } else {
      ctx.error(
        path,
        'POLICY_RAW_SECRET',
        'this key entry looks like a key written in clear',
        RAW_SECRET_FIX,
      );
    }
    return [];
  }
  if (!isFields(entry)) {
    ctx.error(path, 'POLICY_WRONG_TYPE', `a key entry must be a map {sha256}, found ${typeName(entry)}`);
    return [];
  }
  const fields = readObject(ctx, entry, path, KEY_SHAPE);
  if (fields === undefined) return [];
  const errors = ctx.errorCount;
  rejectRawSecrets(ctx, fields, path);
  const digest = readString(ctx, fields, 'sha256', path);
  if (digest === undefined) {
    // After a key written in clear, "sha256 is required" would only repeat the fix.
    if (ctx.errorCount === errors)
      ctx.error([...path, 'sha256'], 'POLICY_MISSING_FIELD', '`sha256` is required');
    return [];
  }
  if (SHA256_HEX.test(digest)) return [digest.toLowerCase()];
  const at = [...path, 'sha256'];
  if (/^sha-?256:/i.test(digest)) {
    ctx.error(
      at,
      'POLICY_INVALID_KEY_HASH',
      'the digest carries an algorithm prefix',
      'remove the `sha256:` prefix',
    );
  } else if (HEX.test(digest)) {
    ctx.error(
      at,
      'POLICY_INVALID_KEY_HASH',
      `the digest has ${digest.length} hexadecimal characters; a SHA-256 digest has 64`,
      'copy the whole line `portcullis hash-key` prints',
    );
  } else {
    ctx.error(
      at,
      'POLICY_INVALID_KEY_HASH',
      'the digest is not hexadecimal; it may be the key itself or another encoding of its digest',
      RAW_SECRET_FIX,
    );
  }
  return [];
}

function readCidr(ctx: ValidationContext, entry: unknown, path: DocPath): Cidr[] {
  if (typeof entry !== 'string') {
    ctx.error(
      path,
      'POLICY_WRONG_TYPE',
      `a source CIDR must be a string like "10.0.0.0/24", found ${typeName(entry)}`,
    );
    return [];
  }
  const parsed = parseCidr(entry);
  if (parsed.ok) return [parsed.cidr];
  ctx.error(path, 'POLICY_INVALID_CIDR', parsed.message, ...optionalFix(parsed.fix));
  return [];
}

/** Identity is unambiguous, and the attached firewall policy exists (else the workspace default applies). */
function checkAgent(agent: EgressAgent, world: ResourceWorld, ctx: ValidationContext): void {
  checkIdentityClaims(agent, world, ctx);
  const policy = agent.firewallPolicy;
  if (policy === undefined || world.isDeclared('EgressFirewallPolicy', agent.meta.namespace, policy)) return;
  const others = world.names('EgressFirewallPolicy', agent.meta.namespace);
  ctx.warn(
    ['spec', 'firewallPolicy'],
    'POLICY_UNKNOWN_FIREWALL_POLICY',
    `EgressFirewallPolicy ${agent.meta.namespace}/${policy} is not defined; until it is, the workspace default policy applies to this agent`,
    didYouMean(policy, others) ??
      (others.length > 0
        ? `use one of: ${others.join(', ')}`
        : `define an EgressFirewallPolicy named ${policy} in namespace ${agent.meta.namespace}`),
  );
}
