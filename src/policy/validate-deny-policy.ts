/**
 * `EgressDenyPolicy` (the gateway model, after CLRK): GEP-713 direct attachment that flips a route
 * from allow to deny and says what the denied client sees.
 *
 * Response headers are checked here, at load, because Envoy rejects or rewrites an invalid one at
 * request time, long after anyone is looking: pseudo-headers and hop-by-hop headers cannot be set
 * on a local reply, and a CR or LF in a value would be header injection.
 */
import type { DocPath } from './documents';
import type { DenyResponse, EgressDenyPolicy, ResourceMeta } from './types';
import { didYouMean } from './suggest';
import { DENY_POLICY_SPEC, DENY_RESPONSE, TARGET_REF } from './kinds/deny-policy';
import { shapeOf } from './kinds/object-shape';
import { readObject, readString, readStringMap, typeName } from './validate-common';
import type { ValidationContext } from './validate-context';
import type { KindValidator, ResourceWorld } from './validate-kind';
import { GATEWAY_API_VERSIONS, refText, validateRef } from './validate-refs';
import { extend } from './extend';

const DEFAULT_STATUS = 403;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space, tab and obs-text (RFC 9110 field-value); no CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** RFC 9110 §7.6.1 connection-specific fields, plus the length Envoy computes from the body. */
const RESERVED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
]);

const SPEC_SHAPE = shapeOf(DENY_POLICY_SPEC);
const RESPONSE_SHAPE = shapeOf(DENY_RESPONSE);

export const denyPolicyKind: KindValidator<EgressDenyPolicy> = {
  kind: 'EgressDenyPolicy',
  apiVersions: GATEWAY_API_VERSIONS,
  validate: validateDenyPolicy,
  crossCheck: checkTarget,
};

function validateDenyPolicy(
  ctx: ValidationContext,
  spec: unknown,
  meta: ResourceMeta,
): EgressDenyPolicy | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;
  const targetRef =
    fields['targetRef'] === undefined || fields['targetRef'] === null
      ? undefined
      : validateRef(ctx, fields['targetRef'], [...path, 'targetRef'], meta, TARGET_REF);
  const denyResponse = validateDenyResponse(ctx, fields['denyResponse'], [...path, 'denyResponse'], meta);
  if (targetRef === undefined || denyResponse === undefined) return undefined;
  return { kind: 'EgressDenyPolicy', meta, targetRef, denyResponse };
}

function validateDenyResponse(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  meta: ResourceMeta,
): DenyResponse | undefined {
  const defaultMessage = `egress denied by policy ${refText(meta.namespace, meta.name)}`;
  if (raw === undefined || raw === null) {
    return { statusCode: DEFAULT_STATUS, message: defaultMessage, headers: {} };
  }
  const fields = readObject(ctx, raw, path, RESPONSE_SHAPE);
  if (fields === undefined) return undefined;
  const statusCode = readStatus(ctx, fields['statusCode'], [...path, 'statusCode']);
  const message = readString(ctx, fields, 'message', path);
  const body = readString(ctx, fields, 'body', path);
  if (message !== undefined && body !== undefined) {
    ctx.error(
      [...path, 'body'],
      'POLICY_INVALID_VALUE',
      '`body` is another name for `message`; give only one',
      'remove `body` or `message`',
    );
  }
  const headers = validateHeaders(ctx, fields, path);
  return { statusCode: statusCode ?? DEFAULT_STATUS, message: message ?? body ?? defaultMessage, headers };
}

function readStatus(ctx: ValidationContext, value: unknown, path: DocPath): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') {
    ctx.error(path, 'POLICY_WRONG_TYPE', `statusCode must be a number, found ${typeName(value)}`);
    return undefined;
  }
  if (!Number.isInteger(value) || value < 400 || value > 599) {
    ctx.error(
      path,
      'POLICY_INVALID_VALUE',
      `statusCode ${value} is not an HTTP error status`,
      'use a status from 400 to 599, usually 403',
    );
    return undefined;
  }
  return value;
}

/** Names are lower-cased (HTTP/2 and Envoy compare them that way), so duplicates are caught here. */
function validateHeaders(
  ctx: ValidationContext,
  fields: Readonly<Record<string, unknown>>,
  path: DocPath,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = readStringMap(ctx, fields, 'headers', path) ?? {};
  for (const [name, value] of Object.entries(raw)) {
    const at = [...path, 'headers', name];
    const lower = name.toLowerCase();
    if (name.startsWith(':')) {
      ctx.error(at, 'POLICY_INVALID_HEADER', `\`${name}\` is a pseudo-header; a deny response cannot set it`);
    } else if (!TOKEN.test(name)) {
      ctx.error(
        at,
        'POLICY_INVALID_HEADER',
        `\`${name}\` is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only)`,
        ...fixFor(name),
      );
    } else if (RESERVED.has(lower)) {
      ctx.error(
        at,
        'POLICY_INVALID_HEADER',
        `\`${name}\` is managed by the proxy and cannot be set on a deny response`,
        'remove it',
      );
    } else if (!FIELD_VALUE.test(value)) {
      ctx.error(
        at,
        'POLICY_INVALID_HEADER',
        `value of \`${name}\` contains a line break or control character`,
      );
    } else if (Object.hasOwn(headers, lower)) {
      ctx.error(at, 'POLICY_INVALID_HEADER', `header \`${lower}\` is given twice (names ignore case)`);
    } else {
      headers[lower] = value;
    }
  }
  return headers;
}

function fixFor(name: string): [] | [string] {
  const cleaned = name.trim().replace(/[^!#$%&'*+\-.^_`|~0-9A-Za-z]+/g, '-');
  return cleaned !== '' && cleaned !== name ? [`use \`${cleaned}\``] : [];
}

/** The target route exists in the policy's namespace (policy attachment is namespace-local). */
function checkTarget(policy: EgressDenyPolicy, world: ResourceWorld, ctx: ValidationContext): void {
  const ref = extend(policy.targetRef, { namespace: policy.targetRef.namespace ?? policy.meta.namespace });
  if (world.isDeclared('EgressL4Route', ref.namespace, ref.name)) return;
  const others = world.names('EgressL4Route', ref.namespace);
  ctx.error(
    ['spec', 'targetRef', 'name'],
    'POLICY_UNKNOWN_ROUTE',
    `EgressL4Route ${refText(ref.namespace, ref.name)} is not defined; a deny policy can only target a route in its own namespace`,
    didYouMean(ref.name, others) ??
      `define the route, or target one of: ${others.join(', ') || '(no routes in this namespace)'}`,
  );
}
