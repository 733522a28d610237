/**
 * `EgressL4Route` (the gateway model, after CLRK): allow rules attached to gateways through
 * `parentRefs`.
 *
 * `filters` and `backendRefs` are CLRK data-plane features (logging/rate-limit extensions, explicit
 * upstream proxies). Portcullis only answers allow or deny, so they are accepted with a warning and
 * the destination is reached directly, which is what CLRK does when `backendRefs` is empty.
 */
import type { DocPath } from './documents';
import type { EgressGateway, EgressL4Route, L4Match, L4Rule, ResourceMeta } from './types';
import { L4_ROUTE_SPEC, L4_RULE, PARENT_REF } from './kinds/l4-route';
import { shapeOf } from './kinds/object-shape';
import { readList, readObject } from './validate-common';
import type { ValidationContext } from './validate-context';
import type { KindValidator, ResourceWorld } from './validate-kind';
import { validateMatch } from './validate-l4-match';
import { checkRouteHostPatterns } from './validate-public-suffix';
import { checkListenerProtocols } from './validate-route-listeners';
import type { ResolvedRef } from './validate-refs';
import { GATEWAY_API_VERSIONS, refText, validateRef } from './validate-refs';
import { didYouMean } from './suggest';
import { extend } from './extend';

const SPEC_SHAPE = shapeOf(L4_ROUTE_SPEC);
const RULE_SHAPE = shapeOf(L4_RULE);

export const l4RouteKind: KindValidator<EgressL4Route> = {
  kind: 'EgressL4Route',
  apiVersions: GATEWAY_API_VERSIONS,
  validate: validateRoute,
  crossCheck: (route, world, ctx) => {
    checkParents(route, world, ctx);
    checkRouteHostPatterns(route, world, ctx);
    checkListenerProtocols(route, world, ctx);
  },
};

function validateRoute(ctx: ValidationContext, spec: unknown, meta: ResourceMeta): EgressL4Route | undefined {
  const path: DocPath = ['spec'];
  const fields = readObject(ctx, spec, path, SPEC_SHAPE);
  if (fields === undefined) return undefined;

  const rawParents = nonEmptyList(
    ctx,
    fields,
    'parentRefs',
    path,
    'a route must name the gateway it attaches to',
  );
  const parentRefs = rawParents.flatMap((raw, index) => {
    const ref = validateRef(ctx, raw, [...path, 'parentRefs', index], meta, PARENT_REF);
    return ref === undefined ? [] : [ref];
  });

  const rawRules = nonEmptyList(ctx, fields, 'rules', path, 'a route without rules allows nothing');
  const rules = rawRules.flatMap((raw, index) => {
    const rule = validateRule(ctx, raw, [...path, 'rules', index]);
    return rule === undefined ? [] : [rule];
  });
  return { kind: 'EgressL4Route', meta, parentRefs, rules };
}

function validateRule(ctx: ValidationContext, raw: unknown, path: DocPath): L4Rule | undefined {
  const fields = readObject(ctx, raw, path, RULE_SHAPE);
  if (fields === undefined) return undefined;
  const rawMatches = nonEmptyList(ctx, fields, 'matches', path, 'a rule needs at least one match');
  const matches: L4Match[] = rawMatches.flatMap((entry, index) => {
    const match = validateMatch(ctx, entry, [...path, 'matches', index]);
    return match === undefined ? [] : [match];
  });
  return { matches };
}

function nonEmptyList(
  ctx: ValidationContext,
  fields: Readonly<Record<string, unknown>>,
  key: string,
  path: DocPath,
  why: string,
): readonly unknown[] {
  const list = readList(ctx, fields, key, path);
  if (list !== undefined && list.length === 0) {
    ctx.error([...path, key], 'POLICY_MISSING_FIELD', `\`${key}\` is empty: ${why}`);
  }
  return list ?? [];
}

/** Every parent gateway exists, and every `sectionName` is one of its listeners. */
function checkParents(route: EgressL4Route, world: ResourceWorld, ctx: ValidationContext): void {
  route.parentRefs.forEach((parent, index) => {
    const ref: ResolvedRef = extend(parent, { namespace: parent.namespace ?? route.meta.namespace });
    const path: DocPath = ['spec', 'parentRefs', index];
    if (world.isDeclared('EgressGateway', ref.namespace, ref.name)) {
      const gateway = world.find('EgressGateway', ref.namespace, ref.name) as EgressGateway | undefined;
      if (gateway !== undefined && ref.sectionName !== undefined) checkListener(ctx, gateway, ref, path);
      return;
    }
    const others = world.names('EgressGateway', ref.namespace);
    const suggestion = didYouMean(ref.name, others);
    ctx.error(
      [...path, 'name'],
      'POLICY_UNKNOWN_GATEWAY',
      `EgressGateway ${refText(ref.namespace, ref.name)} is not defined`,
      suggestion ??
        (others.length > 0
          ? `gateways in namespace ${ref.namespace}: ${others.join(', ')}`
          : `define an EgressGateway named ${ref.name} in namespace ${ref.namespace}`),
    );
  });
}

function checkListener(
  ctx: ValidationContext,
  gateway: EgressGateway,
  ref: ResolvedRef,
  path: DocPath,
): void {
  const names = gateway.listeners.map((listener) => listener.name);
  if (ref.sectionName === undefined || names.includes(ref.sectionName)) return;
  ctx.error(
    [...path, 'sectionName'],
    'POLICY_UNKNOWN_LISTENER',
    `EgressGateway ${refText(gateway.meta.namespace, gateway.meta.name)} has no listener \`${ref.sectionName}\``,
    didYouMean(ref.sectionName, names) ??
      `use one of ${names.join(', ')}, or omit sectionName to attach to every listener`,
  );
}
