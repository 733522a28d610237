/**
 * Kind descriptions (schema-node.ts) as JSON Schema, in two flavours:
 *
 * - `api`: what the admin API's ajv checks request bodies with. Objects are closed
 *   (`additionalProperties: false`), a string-or-map field is an `anyOf`, and fields the validator
 *   refuses are left out, so the API answers them `unknown_field`.
 * - `crd`: a structural schema for a Kubernetes CRD's `openAPIV3Schema` (openapi.ts). Every object
 *   has `type: object` and `properties`, nothing uses `$ref`, and `x-kubernetes-preserve-unknown-fields`
 *   marks only what is free-form: upstream fields Portcullis ignores, and string-or-map fields
 *   (a structural schema cannot say "a string or this map"; the loader checks them). Fields that
 *   exclude each other and fields the validator refuses become CEL rules.
 */
import type { FieldNode, ObjectNode, Properties, SchemaNode, StringNode } from './schema-node';
import { resolve } from './schema-node';

export type JsonSchema = Readonly<Record<string, unknown>>;
export type Flavor = 'api' | 'crd';

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

export function schemaOf(node: SchemaNode, flavor: Flavor): JsonSchema {
  switch (node.type) {
    case 'string':
      return stringSchema(node, flavor);
    case 'integer':
      return compact({
        type: 'integer',
        description: node.description,
        minimum: node.minimum,
        maximum: node.maximum,
        example: flavor === 'crd' ? node.example : undefined,
      });
    case 'boolean':
      return { type: 'boolean', description: node.description };
    case 'list':
      return compact({
        type: 'array',
        description: node.description,
        items: schemaOf(node.items, flavor),
        minItems: node.minItems,
        maxItems: node.maxItems,
      });
    case 'map':
      return compact({
        type: 'object',
        description: node.description,
        additionalProperties: schemaOf(node.values, flavor),
        maxProperties: node.maxProperties,
      });
    case 'object':
      return objectSchema(node, flavor);
    case 'either':
      return flavor === 'api'
        ? {
            description: node.description,
            anyOf: [schemaOf(node.string, flavor), schemaOf(node.object, flavor)],
          }
        : { description: node.description, [PRESERVE]: true };
  }
}

/**
 * A request body of the admin API: the fields of `node` it takes, under the API's names (`fields`
 * maps each API name to the description's field, or gives the node of a field the kind does not
 * have, such as the resource name). Required are the mapped required fields, unless `required`
 * says otherwise; `nullable` fields also take `null`.
 */
export function bodySchema<P extends Properties>(
  node: ObjectNode<P>,
  fields: Readonly<Record<string, (keyof P & string) | SchemaNode>>,
  options: { readonly required?: readonly string[]; readonly nullable?: readonly string[] } = {},
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [apiName, source] of Object.entries(fields)) {
    const field = typeof source === 'string' ? valueField(node, source) : source;
    if (typeof source === 'string' && isRequired(node, source)) required.push(apiName);
    const schema = schemaOf(field, 'api');
    properties[apiName] = options.nullable?.includes(apiName) === true ? withNull(schema) : schema;
  }
  return compact({
    type: 'object',
    additionalProperties: false,
    required: nonEmpty(options.required ?? required),
    properties,
  });
}

function stringSchema(node: StringNode, flavor: Flavor): JsonSchema {
  const blind = node.enum !== undefined && node.caseInsensitive === true;
  if (blind && node.pattern !== undefined)
    throw new Error('a case-insensitive enum cannot also have a pattern');
  return compact({
    type: 'string',
    description: node.description,
    enum: blind ? undefined : node.enum?.slice(),
    minLength: node.minLength,
    maxLength: node.maxLength,
    pattern: blind ? caseBlindPattern(node.enum ?? []) : node.pattern,
    example: flavor === 'crd' ? node.example : undefined,
  });
}

/** `^([Tt][Cc][Pp]|[Uu][Dd][Pp])$`: the same in ECMAScript (ajv) and RE2 (the API server). */
function caseBlindPattern(values: readonly string[]): string {
  const spell = (value: string) =>
    [...value]
      .map((c) =>
        c.toLowerCase() !== c.toUpperCase()
          ? `[${c.toUpperCase()}${c.toLowerCase()}]`
          : c.replace(/[\^$\\.*+?()[\]{}|/]/, '\\$&'),
      )
      .join('');
  return `^(${values.map(spell).join('|')})$`;
}

function objectSchema(node: ObjectNode, flavor: Flavor): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const rules: { rule: string; message: string }[] = [];
  for (const [name, field] of Object.entries(node.properties)) {
    const schema = fieldSchema(node, name, field, flavor);
    if (schema !== undefined) properties[name] = schema;
    if (flavor !== 'crd') continue;
    if (field.type === 'rejected') rules.push({ rule: `!has(${cel(name)})`, message: field.description });
    if (field.type === 'alias') {
      rules.push({
        rule: `!(has(${cel(name)}) && has(${cel(field.of)}))`,
        message: `\`${name}\` is another spelling of \`${field.of}\`; give only one`,
      });
    }
  }
  if (flavor === 'crd' && node.alternatives !== undefined) rules.push(alternativesRule(node.alternatives));
  return compact({
    type: 'object',
    description: node.description,
    additionalProperties: flavor === 'api' ? false : undefined,
    required: nonEmpty(node.required ?? []),
    properties,
    'x-kubernetes-validations': flavor === 'crd' ? nonEmpty(rules) : undefined,
  });
}

/** Exactly one group given, whole: `(has(a) && !has(b)) || (has(b) && !has(a))`. */
function alternativesRule(groups: readonly (readonly string[])[]): { rule: string; message: string } {
  const all = (group: readonly string[]) => group.map((f) => `has(${cel(f)})`).join(' && ');
  const noneOf = (group: readonly string[]) => group.map((f) => `!has(${cel(f)})`).join(' && ');
  const rule = groups
    .map((group, i) => [all(group), ...groups.filter((_g, j) => j !== i).map(noneOf)].join(' && '))
    .map((branch) => `(${branch})`)
    .join(' || ');
  const spelled = groups.map((group) => group.map((f) => `\`${f}\``).join(' and ')).join(', or ');
  return { rule, message: `give ${spelled}` };
}

function fieldSchema(
  parent: ObjectNode,
  name: string,
  field: FieldNode,
  flavor: Flavor,
): JsonSchema | undefined {
  switch (field.type) {
    case 'alias':
      return Object.assign({}, valueSchema(parent, name, flavor), { description: field.description });
    case 'ignored':
      return flavor === 'api'
        ? { description: field.description }
        : { description: field.description, [PRESERVE]: true };
    case 'rejected':
      // Kept in the CRD so the API server does not prune it silently; its CEL rule refuses it.
      return flavor === 'api' ? undefined : { description: field.description, [PRESERVE]: true };
    default:
      return schemaOf(field, flavor);
  }
}

function valueSchema(parent: ObjectNode, name: string, flavor: Flavor): JsonSchema {
  return schemaOf(valueField(parent, name), flavor);
}

function valueField(parent: ObjectNode, name: string): SchemaNode {
  const field = parent.properties[name];
  if (field === undefined) throw new Error(`the description has no field \`${name}\``);
  const target = resolve(parent, field);
  if (target.type === 'ignored' || target.type === 'rejected' || target.type === 'alias') {
    throw new Error(`\`${name}\` is not a value field`);
  }
  return target;
}

function isRequired(node: ObjectNode, name: string): boolean {
  const field = node.properties[name];
  const canonical = field?.type === 'alias' ? field.of : name;
  return (node.required ?? []).includes(canonical);
}

function withNull(schema: JsonSchema): JsonSchema {
  return Object.assign({}, schema, { nullable: true });
}

const CEL_RESERVED = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while'.split(
    ' ',
  ),
);

/** A property as Kubernetes CEL spells it: reserved words and `_ . - /` escaped. */
function cel(name: string): string {
  if (CEL_RESERVED.has(name)) return `self.__${name}__`;
  const escaped = name
    .replace(/__/g, '__underscores__')
    .replace(/\./g, '__dot__')
    .replace(/-/g, '__dash__')
    .replace(/\//g, '__slash__');
  return `self.${escaped}`;
}

function nonEmpty<T>(values: readonly T[]): readonly T[] | undefined {
  return values.length === 0 ? undefined : values;
}

/** The object without its undefined values, so absent keywords are absent. */
function compact(fields: Readonly<Record<string, unknown>>): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}
