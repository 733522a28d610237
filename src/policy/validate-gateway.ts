/**
 * `EgressGateway` (the gateway model, after CLRK): an enforcement point with listeners and a
 * default policy.
 *
 * The default is deny-all, as in CLRK: a gateway nobody configured lets nothing out. Listeners are
 * optional: Envoy owns the sockets and only names the gateway (and listener, when it has one) in
 * each check, so a gateway without listeners is a valid policy scope. CLRK fields
 * about its own data plane (OTLP export, upstream trust, DNS family, timeouts) do not apply to an
 * ext_authz server; they are accepted with a warning so CLRK manifests load unchanged.
 */
import type { DocPath } from './documents';
import type { EgressGateway, Listener, ListenerProtocol, ResourceMeta } from './types';
import { GATEWAY_SPEC, LISTENER, LISTENER_TLS } from './kinds/gateway';
import { shapeOf } from './kinds/object-shape';
import { isDnsSubdomain, readBoolean, readEnum, readList, readObject, readString } from './validate-common';
import type { ValidationContext } from './validate-context';
import type { KindValidator } from './validate-kind';
import { GATEWAY_API_VERSIONS } from './validate-refs';
import { extend } from './extend';

const SPEC_SHAPE = shapeOf(GATEWAY_SPEC);
const LISTENER_SHAPE = shapeOf(LISTENER);
const TLS_SHAPE = shapeOf(LISTENER_TLS);
const TLS_PROTOCOLS: readonly ListenerProtocol[] = ['TLS', 'HTTPS'];

export const gatewayKind: KindValidator<EgressGateway> = {
  kind: 'EgressGateway',
  apiVersions: GATEWAY_API_VERSIONS,
  validate: validateGateway,
};

function validateGateway(
  ctx: ValidationContext,
  spec: unknown,
  meta: ResourceMeta,
): EgressGateway | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;
  const given = GATEWAY_SPEC.properties;
  const defaultPolicy = readEnum(ctx, fields, 'defaultPolicy', path, given.defaultPolicy);
  const mode = readEnum(ctx, fields, 'mode', path, given.mode);
  const ssrfGuard = readBoolean(ctx, fields, 'ssrfGuard', path);
  const nameProof = readEnum(ctx, fields, 'nameProof', path, given.nameProof);
  const rawListeners = readList(ctx, fields, 'listeners', path);

  const listeners: Listener[] = [];
  const seen = new Map<string, number>();
  (rawListeners ?? []).forEach((raw, index) => {
    const listenerPath = [...path, 'listeners', index];
    const listener = validateListener(ctx, raw, listenerPath);
    if (listener === undefined) return;
    const first = seen.get(listener.name);
    if (first !== undefined) {
      ctx.error(
        [...listenerPath, 'name'],
        'POLICY_DUPLICATE_NAME',
        `listener name \`${listener.name}\` is already used by listeners[${first}]`,
        'give each listener its own name; routes select listeners by it (`sectionName`)',
      );
      return;
    }
    seen.set(listener.name, index);
    listeners.push(listener);
  });

  return {
    kind: 'EgressGateway',
    meta,
    defaultPolicy: defaultPolicy ?? 'deny-all',
    mode: mode ?? 'enforce',
    listeners,
    ssrfGuard: ssrfGuard ?? true,
    nameProof: nameProof ?? 'resolve',
  };
}

function validateListener(ctx: ValidationContext, raw: unknown, path: DocPath): Listener | undefined {
  const fields = readObject(ctx, raw, path, LISTENER_SHAPE);
  if (fields === undefined) return undefined;
  const errors = ctx.errorCount;
  const name = readString(ctx, fields, 'name', path);
  if (name !== undefined && !isDnsSubdomain(name)) {
    ctx.error(
      [...path, 'name'],
      'POLICY_INVALID_NAME',
      `listener name \`${name}\` must be lower-case letters, digits, \`-\` and \`.\``,
    );
  }
  const protocol = readEnum(ctx, fields, 'protocol', path, LISTENER.properties.protocol);
  const port = readListenerPort(ctx, fields['port'], [...path, 'port']);
  const tlsMode = validateTls(ctx, fields['tls'], [...path, 'tls'], protocol);
  if (name === undefined || protocol === undefined || ctx.errorCount > errors) return undefined;

  const listener: Listener = { name, protocol };
  return extend(
    extend(listener, port === undefined ? {} : { port }),
    tlsMode === undefined ? {} : { tlsMode },
  );
}

function readListenerPort(ctx: ValidationContext, value: unknown, path: DocPath): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  if (typeof value !== 'number') {
    ctx.error(path, 'POLICY_WRONG_TYPE', 'listener `port` must be a number');
  } else {
    ctx.error(path, 'POLICY_INVALID_PORT', `port ${value} is not a whole number from 1 to 65535`);
  }
  return undefined;
}

function validateTls(
  ctx: ValidationContext,
  raw: unknown,
  path: DocPath,
  protocol: ListenerProtocol | undefined,
): Listener['tlsMode'] {
  if (raw === undefined || raw === null) return undefined;
  const fields = readObject(ctx, raw, path, TLS_SHAPE);
  if (fields === undefined) return undefined;
  if (protocol !== undefined && !TLS_PROTOCOLS.includes(protocol)) {
    ctx.error(
      path,
      'POLICY_INVALID_VALUE',
      `\`tls\` applies only to TLS and HTTPS listeners, not ${protocol}`,
      'remove `tls`, or set `protocol: TLS`',
    );
  }
  return readEnum(ctx, fields, 'mode', path, LISTENER_TLS.properties.mode);
}
