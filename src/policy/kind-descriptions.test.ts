/**
 * The kind descriptions (src/policy/kinds) and the validators agree field by field, and so do the
 * schemas derived from the descriptions: the admin API's JSON schemas and the CRD `openAPIV3Schema`.
 *
 * Every probe is generated from a description (test/support/kind-probes.ts), so a field added to
 * one side only fails here: every listed field is accepted, every field some other object has (and
 * one no object has) is refused, every enum value is accepted and every value of the other enums
 * (and one of none) is refused with the validator's code, every required field is required, and every size limit holds
 * on every surface.
 *
 * The schemas run through Fastify's own ajv with the admin API's options. The CRD schema is checked
 * as the API server applies it: an unknown field is pruned, which here reads as refused; string-or-
 * map fields are free-form there (the loader checks them), so probes inside them skip the CRD.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { parseDocuments, type RawDocument } from './documents';
import { resolve, type FieldNode, type ObjectNode } from './kinds/schema-node';
import { schemaOf, type JsonSchema } from './kinds/json-schema';
import { openApiSchemaFor } from './kinds/openapi';
import { KIND_DESCRIPTIONS, type KindDescription } from './kinds/registry';
import { validateDocuments } from './validate';
import { formatPath } from './validate-context';
import type { DocPath } from './documents';
import { KINDS } from './validate-registry';
import {
  allEnumValues,
  allFieldNames,
  companionsOf,
  documentOf,
  exampleOf,
  minimalObject,
  objectSites,
  withField,
  withoutField,
  withoutFields,
} from '../../test/support/kind-probes';

interface Found {
  readonly path: string;
  readonly code: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}
type Match = (found: Found) => boolean;
type Expect = { readonly want: 'none' | 'some'; readonly match: Match; readonly what: string };
type Surface = 'validator' | 'api' | 'crd';

interface Probe {
  readonly name: string;
  readonly spec: unknown;
  /** Where the issue is expected (or not): the field, for a cross-field rule any of several. */
  readonly paths: readonly string[] | typeof ANYWHERE;
  readonly expect: Readonly<Record<Surface, readonly Expect[]>>;
}

const DESCRIPTIONS = [...KIND_DESCRIPTIONS.values()];
const NOT_A_FIELD = 'notAFieldAnywhere';
const ANYWHERE = 'anywhere';
const CANDIDATE_NAMES = [...allFieldNames(DESCRIPTIONS), NOT_A_FIELD];
const NOT_IN_ANY_ENUM = 'notInAnyEnum';
/** Every value any enum has: candidates an enum that does not list them must refuse. */
const ENUM_VALUES = allEnumValues(DESCRIPTIONS);

const isError: Match = (f) => f.severity === 'error';
const code =
  (c: string): Match =>
  (f) =>
    isError(f) && f.code === c;
const warning =
  (c: string): Match =>
  (f) =>
    f.severity === 'warning' && f.code === c;
const unknownField: Match = (f) =>
  isError(f) && (f.code === 'POLICY_UNKNOWN_FIELD' || /unknown field/.test(f.message));
const limit =
  (n: number): Match =>
  (f) =>
    code('POLICY_INVALID_VALUE')(f) && f.message.includes(`the limit is ${n}`);
const keyword = code;

const none = (match: Match, what: string): Expect => ({ want: 'none', match, what });
const some = (match: Match, what: string): Expect => ({ want: 'some', match, what });

function probesOf(description: KindDescription): Probe[] {
  const probes: Probe[] = [];
  for (const site of objectSites(description.spec)) {
    const { node } = site;
    const minimal = minimalObject(node);
    const at = (...rest: (string | number)[]): string => formatPath([...site.path, ...rest]);
    const crd = (expects: readonly Expect[]): readonly Expect[] => (site.freeForm ? [] : expects);
    const add = (
      name: string,
      value: unknown,
      path: string | readonly string[],
      expect: Record<Surface, readonly Expect[]>,
    ) =>
      probes.push({
        name,
        spec: site.place(value),
        paths: path === ANYWHERE ? ANYWHERE : typeof path === 'string' ? [path] : path,
        expect,
      });
    const groups = node.alternatives ?? [];
    const alternative = new Set(groups.flat());
    /** The minimal object without the alternatives `name` is not one of. */
    const baseFor = (name: string): Readonly<Record<string, unknown>> => {
      const own = groups.find((g) => g.includes(name));
      if (own === undefined) return minimal;
      const others = groups.filter((g) => g !== own).flat();
      return Object.fromEntries(Object.entries(minimal).filter(([key]) => !others.includes(key)));
    };

    add(`${at()} holds its minimal value`, minimal, ANYWHERE, {
      validator: [none(isError, 'an error')],
      api: [none(isError, 'an error')],
      crd: crd([none(isError, 'an error')]),
    });

    for (const [name, field] of Object.entries(node.properties)) {
      const value = withField(baseFor(name), name, exampleOf(field, node));
      if (field.type === 'ignored') {
        add(`${at(name)} is accepted and ignored`, value, at(name), {
          validator: [
            some(warning('POLICY_IGNORED_FIELD'), 'an ignored-field warning'),
            none(isError, 'an error'),
          ],
          api: [none(isError, 'an error')],
          crd: crd([none(isError, 'an error')]),
        });
      } else if (field.type === 'rejected') {
        add(`${at(name)} is refused`, value, at(name), {
          validator: [some(code(field.code), field.code)],
          api: [some(isError, 'an error')],
          crd: [], // refused by a CEL rule, which ajv cannot run
        });
      } else {
        add(`${at(name)} is listed`, value, at(name), {
          validator: [none(unknownField, 'an unknown-field error')],
          api: [none(isError, 'an error')],
          crd: crd([none(isError, 'an error')]),
        });
      }
    }

    for (const name of CANDIDATE_NAMES) {
      if (Object.hasOwn(node.properties, name)) continue;
      const schemas = name === NOT_A_FIELD;
      add(`${at(name)} is not listed`, withField(minimal, name, 'probe'), at(name), {
        validator: [some(unknownField, node.issueCode ?? 'an unknown-field error')],
        api: schemas ? [some(keyword('additionalProperties'), 'additionalProperties')] : [],
        crd: schemas ? crd([some(keyword('additionalProperties'), 'pruning')]) : [],
      });
    }

    for (const [name, field] of Object.entries(node.properties)) {
      const target = resolve(node, field);
      if (target.type !== 'string' || target.enum === undefined) continue;
      const values =
        target.caseInsensitive === true
          ? [...target.enum, ...target.enum.map((v) => v.toLowerCase())]
          : target.enum;
      for (const v of values) {
        add(`${at(name)}: ${v} is in the enum`, withField(baseFor(name), name, v), at(name), {
          validator: [none(isError, 'an error')],
          api: [none(isError, 'an error')],
          crd: crd([none(isError, 'an error')]),
        });
      }
      const enumCode = node.issueCode ?? 'POLICY_INVALID_VALUE';
      const accepted = new Set(values.map((v) => (target.caseInsensitive === true ? v.toLowerCase() : v)));
      const outside = [NOT_IN_ANY_ENUM, ...ENUM_VALUES].filter(
        (v) => !accepted.has(target.caseInsensitive === true ? v.toLowerCase() : v),
      );
      for (const v of outside) {
        add(`${at(name)}: ${v} is outside the enum`, withField(baseFor(name), name, v), at(name), {
          validator: [some(code(enumCode), enumCode)],
          api: [some(isError, 'an error')],
          crd: crd([some(isError, 'an error')]),
        });
      }
    }

    for (const name of node.required ?? []) {
      const missing = node.issueCode ?? 'POLICY_MISSING_FIELD';
      add(`${at(name)} is required`, withoutField(minimal, name), at(name), {
        validator: [some(code(missing), missing)],
        api: [some(keyword('required'), 'required')],
        crd: crd([some(keyword('required'), 'required')]),
      });
    }
    const optional = Object.keys(node.properties).filter(
      (n) => !(node.required ?? []).includes(n) && !alternative.has(n),
    );
    for (const name of optional) {
      add(`${at(name)} is optional`, withoutField(minimal, name), at(name), {
        validator: [none(code(node.issueCode ?? 'POLICY_MISSING_FIELD'), 'a missing-field error')],
        api: [none(keyword('required'), 'required')],
        crd: crd([none(keyword('required'), 'required')]),
      });
    }

    if (groups.length > 0) {
      const where = [at(), ...[...alternative].map((n) => at(n))];
      const cross = { validator: [some(isError, 'an error')], api: [], crd: [] }; // CEL, not ajv
      add(`${at()} gives none of its alternatives`, withoutFields(minimal, [...alternative]), where, cross);
      const both = groups.reduce<Readonly<Record<string, unknown>>>(
        (value, group) => withField(value, group[0]!, exampleOf(node.properties[group[0]!]!, node)),
        minimal,
      );
      add(`${at()} gives more than one alternative`, both, where, cross);
    }

    for (const [name, field] of Object.entries(node.properties)) {
      for (const bound of boundProbes(node, name, field)) {
        add(
          `${at(name)} ${bound.name}`,
          withField(baseFor(name), name, bound.value),
          at(name, ...bound.below),
          {
            validator: [bound.validator],
            api: [bound.schema],
            crd: crd([bound.schema]),
          },
        );
      }
    }
  }
  return probes;
}

interface BoundProbe {
  readonly name: string;
  readonly value: unknown;
  readonly below: readonly (string | number)[];
  readonly validator: Expect;
  readonly schema: Expect;
}

/** Values at and over each size limit and range of a field. */
function boundProbes(parent: ObjectNode, name: string, field: FieldNode): BoundProbe[] {
  const node = resolve(parent, field);
  const out: BoundProbe[] = [];
  const over = (
    what: string,
    value: unknown,
    limitValue: number,
    schemaKeyword: string,
    hand: boolean,
    below: (string | number)[] = [],
  ) => {
    out.push({
      name: `over ${what} ${limitValue}`,
      value,
      below,
      validator: some(hand ? isError : limit(limitValue), hand ? 'an error' : `"the limit is ${limitValue}"`),
      schema: some(keyword(schemaKeyword), schemaKeyword),
    });
  };
  const atLimit = (
    what: string,
    value: unknown,
    limitValue: number,
    schemaKeyword: string,
    below: (string | number)[] = [],
  ) => {
    out.push({
      name: `at ${what} ${limitValue}`,
      value,
      below,
      validator: none(limit(limitValue), `"the limit is ${limitValue}"`),
      schema: none(keyword(schemaKeyword), schemaKeyword),
    });
  };
  if (node.type === 'string' && node.maxLength !== undefined) {
    const max = node.maxLength;
    over('maxLength', 'a'.repeat(max + 1), max, 'maxLength', node.handChecked === true);
    atLimit('maxLength', 'a'.repeat(max), max, 'maxLength');
  }
  if (node.type === 'list') {
    const item = exampleOf(node.items);
    if (node.maxItems !== undefined) {
      over(
        'maxItems',
        Array.from({ length: node.maxItems + 1 }, () => item),
        node.maxItems,
        'maxItems',
        false,
      );
      atLimit(
        'maxItems',
        Array.from({ length: node.maxItems }, () => item),
        node.maxItems,
        'maxItems',
      );
    }
    if (node.minItems !== undefined) {
      out.push({
        name: `under minItems ${node.minItems}`,
        value: [],
        below: [],
        validator: some(isError, 'an error'),
        schema: some(keyword('minItems'), 'minItems'),
      });
    }
    const items = node.items;
    if (items.type === 'string' && items.maxLength !== undefined) {
      const max = items.maxLength;
      over('item maxLength', ['a'.repeat(max + 1)], max, 'maxLength', items.handChecked === true, [0]);
    }
  }
  if (node.type === 'map' && node.maxProperties !== undefined) {
    const value = exampleOf(node.values);
    const entries = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_v, i) => [`key${i}`, value]));
    over('maxProperties', entries(node.maxProperties + 1), node.maxProperties, 'maxProperties', false);
    atLimit('maxProperties', entries(node.maxProperties), node.maxProperties, 'maxProperties');
  }
  if (node.type === 'integer') {
    if (node.minimum !== undefined) over('minimum', node.minimum - 1, node.minimum, 'minimum', true);
    if (node.maximum !== undefined) over('maximum', node.maximum + 1, node.maximum, 'maximum', true);
  }
  return out;
}

/** Issues the validator reports on the probe document (not on its companions). */
function validatorFound(description: KindDescription, spec: unknown): Found[] {
  const raw = (doc: unknown, file: string): RawDocument => {
    const parsed = parseDocuments(file, JSON.stringify(doc));
    if (parsed.docs.length !== 1)
      throw new Error(`probe document did not parse: ${JSON.stringify(parsed.issues)}`);
    return parsed.docs[0]!;
  };
  const docs = [
    ...companionsOf(description.kind).map((c) => raw(c, 'companion.yaml')),
    raw(documentOf(description, spec), 'probe.yaml'),
  ];
  return validateDocuments(docs)
    .issues.filter((i) => i.file === 'probe.yaml')
    .map((i) => ({ path: i.path, code: i.code, message: i.message, severity: i.severity }));
}

interface AjvIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

type Validate = ((body: unknown) => boolean) & { errors?: readonly AjvIssue[] | null };
type Compile = (route: { schema: unknown; method: string; url: string; httpPart: string }) => Validate;

/** Fastify's own validator compiler (its ajv), with the admin API's options. */
async function fastifyCompiler(): Promise<{ app: FastifyInstance; compile: Compile }> {
  const app = Fastify({
    ajv: {
      customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false },
    },
  });
  // A route with a body schema makes Fastify build its compiler on ready().
  app.post('/', { schema: { body: { type: 'object' } } }, async () => ({}));
  await app.ready();
  return { app, compile: app.validatorCompiler as unknown as Compile };
}

function apiDocumentSchema(d: KindDescription): JsonSchema {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: schemaOf(d.spec, 'api'),
    },
    required: ['spec'],
  };
}

/**
 * The CRD schema as the API server applies it, for ajv: free-form nodes take anything, CEL rules and
 * examples are left out, and objects refuse unknown fields (the API server prunes them).
 */
function asApiServer(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asApiServer);
  if (typeof schema !== 'object' || schema === null) return schema;
  const fields = schema as Record<string, unknown>;
  if (fields['x-kubernetes-preserve-unknown-fields'] === true) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'x-kubernetes-validations' || key === 'example') continue;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, asApiServer(v)]))
        : asApiServer(value);
  }
  if (fields['type'] === 'object' && fields['properties'] !== undefined) out['additionalProperties'] = false;
  return out;
}

function ajvPath(issue: AjvIssue): string {
  const path: (string | number)[] = issue.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const extra = issue.params['additionalProperty'] ?? issue.params['missingProperty'];
  if (typeof extra === 'string') path.push(extra);
  return formatPath(path as DocPath);
}

function schemaFound(validate: Validate, description: KindDescription, spec: unknown): Found[] {
  if (validate(documentOf(description, spec))) return [];
  return (validate.errors ?? []).map((i) => ({
    path: ajvPath(i),
    code: i.keyword,
    message: i.message ?? '',
    severity: 'error',
  }));
}

function disagreements(probe: Probe, surface: Surface, found: readonly Found[]): string[] {
  const paths = probe.paths;
  const here = paths === ANYWHERE ? found : found.filter((f) => paths.includes(f.path));
  const where = paths === ANYWHERE ? 'any path' : paths.join(' or ');
  return probe.expect[surface].flatMap((e) => {
    const matching = here.filter(e.match);
    if (e.want === 'some' && matching.length === 0) {
      return [
        `${probe.name}: expected ${e.what} at ${where}, found ${JSON.stringify(here.map((f) => f.code))}`,
      ];
    }
    if (e.want === 'none' && matching.length > 0) {
      return [
        `${probe.name}: unexpected ${e.what} at ${where}: ${matching.map((f) => `${f.code} ${f.message}`).join('; ')}`,
      ];
    }
    return [];
  });
}

let app: FastifyInstance;
const validators = new Map<string, Validate>();
beforeAll(async () => {
  const fastify = await fastifyCompiler();
  app = fastify.app;
  for (const d of DESCRIPTIONS) {
    const compile = (schema: unknown) =>
      fastify.compile({ schema, method: 'POST', url: `/${d.kind}`, httpPart: 'body' });
    validators.set(`api/${d.kind}`, compile(apiDocumentSchema(d)));
    validators.set(`crd/${d.kind}`, compile(asApiServer(openApiSchemaFor(d.kind))));
  }
});
afterAll(() => app.close());

function schemaOn(surface: 'api' | 'crd', kind: string): Validate {
  const validate = validators.get(`${surface}/${kind}`);
  if (validate === undefined) throw new Error(`no ${surface} schema for ${kind}`);
  return validate;
}

it('describes exactly the kinds the validator registry holds', () => {
  expect([...KIND_DESCRIPTIONS.keys()].sort()).toEqual([...KINDS.keys()].sort());
});

describe.each(DESCRIPTIONS.map((d) => [d.kind, d] as const))('%s', (_kind, description) => {
  const probes = probesOf(description);
  const minimal = minimalObject(description.spec);

  it('has a minimal document every surface accepts', () => {
    const errors = validatorFound(description, minimal).filter(isError);
    expect(errors).toEqual([]);
    expect(schemaFound(schemaOn('api', description.kind), description, minimal)).toEqual([]);
    expect(schemaFound(schemaOn('crd', description.kind), description, minimal)).toEqual([]);
  });

  it('agrees with the validator on every field, enum, required field and limit', () => {
    expect(probes.length).toBeGreaterThan(CANDIDATE_NAMES.length);
    const problems = probes.flatMap((p) =>
      disagreements(p, 'validator', validatorFound(description, p.spec)),
    );
    expect(problems).toEqual([]);
  }, 120_000);

  it.each(['api', 'crd'] as const)('agrees with its derived %s schema', (surface) => {
    const validate = schemaOn(surface, description.kind);
    const problems = probes
      .filter((p) => p.expect[surface].length > 0)
      .flatMap((p) => disagreements(p, surface, schemaFound(validate, description, p.spec)));
    expect(problems).toEqual([]);
  });
});
