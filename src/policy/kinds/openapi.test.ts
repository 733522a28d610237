import type { JsonSchema } from './json-schema';
import { openApiSchemaFor } from './openapi';
import { KIND_DESCRIPTIONS } from './registry';
import type { FieldNode, ObjectNode } from './schema-node';

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const KINDS = [...KIND_DESCRIPTIONS.keys()];

/** Every schema node under `schema`, with its path. */
function nodes(schema: JsonSchema, path = ''): [string, JsonSchema][] {
  const out: [string, JsonSchema][] = [[path, schema]];
  const properties = schema['properties'] as Record<string, JsonSchema> | undefined;
  for (const [name, child] of Object.entries(properties ?? {})) out.push(...nodes(child, `${path}.${name}`));
  const items = schema['items'] as JsonSchema | undefined;
  if (items !== undefined) out.push(...nodes(items, `${path}[]`));
  const values = schema['additionalProperties'];
  if (typeof values === 'object' && values !== null) out.push(...nodes(values as JsonSchema, `${path}{}`));
  return out;
}

/** Paths of the description's free-form fields: ignored, refused, and string-or-map ones. */
function freeFormPaths(node: ObjectNode, path: string): string[] {
  return Object.entries(node.properties).flatMap(([name, field]) => freeForm(field, `${path}.${name}`));
}

function freeForm(field: FieldNode, path: string): string[] {
  switch (field.type) {
    case 'ignored':
    case 'rejected':
    case 'either':
      return [path];
    case 'object':
      return freeFormPaths(field, path);
    case 'list':
      return freeForm(field.items, `${path}[]`);
    default:
      return [];
  }
}

describe('openApiSchemaFor()', () => {
  it.each(KINDS)('%s: a structural schema (types everywhere, objects with properties, no $ref)', (kind) => {
    const problems = nodes(openApiSchemaFor(kind)).flatMap(([path, schema]) => {
      const found: string[] = [];
      if (schema[PRESERVE] !== true && typeof schema['type'] !== 'string') found.push(`${path}: no type`);
      for (const key of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not']) {
        if (key in schema) found.push(`${path}: ${key}`);
      }
      if (schema['type'] === 'object' && path !== '.metadata') {
        const hasProperties = typeof schema['properties'] === 'object';
        const hasValues = typeof schema['additionalProperties'] === 'object';
        if (hasProperties === hasValues)
          found.push(`${path}: an object needs properties or (a map) additionalProperties`);
      }
      if (schema['additionalProperties'] === false) found.push(`${path}: additionalProperties: false`);
      return found;
    });
    expect(problems).toEqual([]);
  });

  it.each(KINDS)('%s: preserves unknown fields only where the description is free-form', (kind) => {
    const preserved = nodes(openApiSchemaFor(kind))
      .filter(([, schema]) => schema[PRESERVE] === true)
      .map(([path]) => path);
    const expected = freeFormPaths(KIND_DESCRIPTIONS.get(kind)!.spec, '.spec');
    expect(preserved.sort()).toEqual(expected.sort());
  });

  it('wraps the spec in a resource: apiVersion, kind, metadata, required spec', () => {
    const schema = openApiSchemaFor('EgressGateway');
    expect(Object.keys(schema['properties'] as object)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema['required']).toEqual(['spec']);
  });

  it('spells enums, bounds and patterns as the description gives them', () => {
    const spec = openApiSchemaFor('EgressGateway')['properties'] as Record<string, JsonSchema>;
    const gateway = spec['spec']!['properties'] as Record<string, JsonSchema>;
    expect(gateway['defaultPolicy']).toMatchObject({ type: 'string', enum: ['deny-all', 'allow-all'] });
    const listener = (gateway['listeners']!['items'] as JsonSchema)['properties'] as Record<
      string,
      JsonSchema
    >;
    expect(listener['port']).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(listener['name']).toMatchObject({
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
    });
  });

  it('spells a case-insensitive enum as a pattern ECMAScript and RE2 read alike', () => {
    const pattern = field(
      openApiSchemaFor('EgressL4Route'),
      'spec',
      'rules',
      '[]',
      'matches',
      '[]',
      'protocol',
    )['pattern'] as string;
    expect(pattern).toBe('^([Tt][Cc][Pp]|[Uu][Dd][Pp])$');
    expect(['TCP', 'tcp', 'Udp'].every((v) => new RegExp(pattern, 'u').test(v))).toBe(true);
    expect(new RegExp(pattern, 'u').test('SCTP')).toBe(false);
  });

  it('turns refused fields, aliases and alternatives into CEL rules', () => {
    const rules = (schema: JsonSchema) =>
      (schema['x-kubernetes-validations'] as { rule: string }[] | undefined)?.map((r) => r.rule) ?? [];
    expect(rules(field(openApiSchemaFor('MirrordPolicy'), 'spec'))).toEqual(['!has(self.outgoingTraffic)']);
    expect(rules(field(openApiSchemaFor('EgressAgent'), 'spec'))).toEqual([
      '!has(self.key)',
      '!has(self.token)',
      '!has(self.secret)',
      '!has(self.apiKey)',
      '!has(self.password)',
    ]);
    expect(rules(field(openApiSchemaFor('EgressFirewallPolicy'), 'spec'))).toEqual([
      '!(has(self.default_verdict) && has(self.defaultVerdict))',
      '!(has(self.shadow_mode) && has(self.shadow))',
    ]);
    expect(rules(field(openApiSchemaFor('EgressFirewallPolicy'), 'spec', 'rules', '[]'))).toEqual([
      '(has(self.egress) && !has(self.egress_json)) || (has(self.egress_json) && !has(self.egress))',
    ]);
    expect(
      rules(field(openApiSchemaFor('EgressL4Route'), 'spec', 'rules', '[]', 'matches', '[]', 'ports', '[]')),
    ).toEqual([
      '(has(self.port) && !has(self.startPort) && !has(self.endPort)) || (has(self.startPort) && has(self.endPort) && !has(self.port))',
    ]);
  });

  it('names the known kinds when asked for another', () => {
    expect(() => openApiSchemaFor('EgressThing')).toThrow(
      /no description of kind EgressThing; known: EgressGateway/,
    );
  });
});

/** The schema at a path of property names, `[]` stepping into list items. */
function field(schema: JsonSchema, ...path: string[]): JsonSchema {
  return path.reduce<JsonSchema>((at, step) => {
    if (step === '[]') return at['items'] as JsonSchema;
    return (at['properties'] as Record<string, JsonSchema>)[step]!;
  }, schema);
}
