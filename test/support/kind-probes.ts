/**
 * Probe documents generated from the kind descriptions (src/policy/kinds), for the drift test
 * (src/policy/kind-descriptions.test.ts): a minimal valid value of every node, every object a
 * kind's spec can hold with its path, and a way to put a value at that path in an otherwise
 * minimal document. Nothing here names a field: a field added to a description is probed at once.
 */
import type { DocPath } from '../../src/policy/documents';
import { PARENT_REF, L4_ROUTE_SPEC } from '../../src/policy/kinds/l4-route';
import { LISTENER } from '../../src/policy/kinds/gateway';
import { TARGET_REF } from '../../src/policy/kinds/deny-policy';
import type { FieldNode, ObjectNode } from '../../src/policy/kinds/schema-node';
import { resolve, valueFields } from '../../src/policy/kinds/schema-node';
import type { KindDescription } from '../../src/policy/kinds/registry';
import { NATIVE_API_VERSION } from '../../src/policy/types';

type Fields = Readonly<Record<string, unknown>>;

/** A valid value of `node` (within `parent`, for aliases). */
export function exampleOf(node: FieldNode, parent?: ObjectNode): unknown {
  switch (node.type) {
    case 'string':
      return node.example ?? node.enum?.[0] ?? 'probe';
    case 'integer':
      return node.example ?? node.minimum ?? 1;
    case 'boolean':
      return true;
    case 'list':
      return [exampleOf(node.items)];
    case 'map':
      return { team: exampleOf(node.values) };
    case 'object':
      return minimalObject(node);
    case 'either':
      return exampleOf(node.string);
    case 'alias':
      if (parent === undefined) throw new Error('an alias needs its parent object');
      return exampleOf(resolve(parent, node));
    case 'ignored':
    case 'rejected':
      return 'probe';
  }
}

/** The description's own example, or its required fields and nothing else. */
export function minimalObject(node: ObjectNode): Fields {
  if (node.example !== undefined) return node.example;
  const out: Record<string, unknown> = {};
  for (const name of node.required ?? []) out[name] = exampleOf(node.properties[name]!, node);
  return out;
}

export function withField(object: Fields, name: string, value: unknown): Fields {
  return Object.assign({}, object, { [name]: value });
}

export function withoutField(object: Fields, name: string): Fields {
  return withoutFields(object, [name]);
}

export function withoutFields(object: Fields, names: readonly string[]): Fields {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !names.includes(key)));
}

/** An object a kind's spec can hold, where, and the spec with another value there. */
export interface ObjectSite {
  readonly path: DocPath;
  readonly node: ObjectNode;
  /** Inside a string-or-map field, which a CRD schema leaves free-form. */
  readonly freeForm: boolean;
  place(value: unknown): unknown;
}

export function objectSites(spec: ObjectNode): ObjectSite[] {
  const sites: ObjectSite[] = [];
  const walk = (node: ObjectNode, path: DocPath, place: (v: unknown) => unknown, freeForm: boolean) => {
    sites.push({ path, node, freeForm, place });
    const base = minimalObject(node);
    for (const [name, field] of valueFields(node)) {
      visit(field, [...path, name], (v) => place(withField(base, name, v)), freeForm);
    }
  };
  const visit = (field: FieldNode, path: DocPath, place: (v: unknown) => unknown, freeForm: boolean) => {
    if (field.type === 'object') walk(field, path, place, freeForm);
    else if (field.type === 'list') visit(field.items, [...path, 0], (v) => place([v]), freeForm);
    else if (field.type === 'either') walk(field.object, path, place, true);
  };
  walk(spec, ['spec'], (v) => v, false);
  return sites;
}

export function documentOf(description: KindDescription, spec: unknown, name = 'probe'): Fields {
  const metadata = description.scope === 'Cluster' ? { name } : { name, namespace: 'default' };
  return { apiVersion: NATIVE_API_VERSION, kind: description.kind, metadata, spec };
}

/**
 * The resources a minimal document of `kind` refers to: a route's gateway (with the listener its
 * `sectionName` example names), a deny policy's route.
 */
export function companionsOf(kind: string): Fields[] {
  const gatewayName = exampleOf(PARENT_REF.properties.name) as string;
  const gateway = {
    apiVersion: NATIVE_API_VERSION,
    kind: 'EgressGateway',
    metadata: { name: gatewayName, namespace: 'default' },
    spec: {
      listeners: [withField(minimalObject(LISTENER), 'name', PARENT_REF.properties.sectionName.example)],
    },
  };
  const route = {
    apiVersion: NATIVE_API_VERSION,
    kind: 'EgressL4Route',
    metadata: { name: exampleOf(TARGET_REF.properties.name) as string, namespace: 'default' },
    spec: minimalObject(L4_ROUTE_SPEC),
  };
  if (kind === 'EgressL4Route') return [gateway];
  if (kind === 'EgressDenyPolicy') return [gateway, route];
  return [];
}

/** Every field name any description uses: candidates an object that does not list them must refuse. */
export function allFieldNames(descriptions: readonly KindDescription[]): string[] {
  const names = new Set<string>();
  for (const d of descriptions) {
    for (const site of objectSites(d.spec))
      for (const name of Object.keys(site.node.properties)) names.add(name);
  }
  return [...names].sort();
}

/** Every value any enum of any description has. */
export function allEnumValues(descriptions: readonly KindDescription[]): string[] {
  const values = new Set<string>();
  for (const d of descriptions) {
    for (const site of objectSites(d.spec)) {
      for (const field of Object.values(site.node.properties)) {
        if (field.type === 'string') for (const v of field.enum ?? []) values.add(v);
      }
    }
  }
  return [...values].sort();
}
