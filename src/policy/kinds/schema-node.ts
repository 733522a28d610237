/**
 * The small schema language in which each kind's shape is written once (`src/policy/kinds/*.ts`).
 *
 * A description is plain data: the validators read their field lists, enums, required fields and
 * size limits from it (`shapeOf`), the admin API derives its request-body JSON schemas from it
 * (`json-schema.ts`) and CRDs their `openAPIV3Schema` (`openapi.ts`). Checks no schema can say
 * (CIDRs, host patterns, fields that exclude each other) stay in the hand-written validators;
 * `src/policy/kind-descriptions.test.ts` proves the two sides agree field by field.
 */
import type { IssueCode } from '../issues';

interface Described {
  /** What the field means, for API and CRD documentation. */
  readonly description: string;
}

export interface StringNode<T extends string = string> extends Described {
  readonly type: 'string';
  readonly enum?: readonly T[];
  /** The validator reads `tcp` as `TCP`; schemas spell the enum as a case-blind pattern. */
  readonly caseInsensitive?: boolean;
  readonly minLength?: number;
  /** Enforced by every surface: files (`validate-bounds.ts`), the admin API and CRDs. */
  readonly maxLength?: number;
  /**
   * The validator's own check of the value already holds it within `maxLength` (a DNS name, a
   * label value), with a better message, so files are not also given the generic one.
   */
  readonly handChecked?: boolean;
  /** The schema spelling of a check the validator makes by hand, with its own messages. */
  readonly pattern?: string;
  /** A valid value, for documentation and the probes of the drift test. */
  readonly example?: T;
}

export interface IntegerNode extends Described {
  readonly type: 'integer';
  readonly minimum?: number;
  readonly maximum?: number;
  readonly example?: number;
}

export interface BooleanNode extends Described {
  readonly type: 'boolean';
}

export interface ListNode extends Described {
  readonly type: 'list';
  readonly items: SchemaNode;
  /** Checked by hand where a list must not be empty (with a message saying why). */
  readonly minItems?: number;
  /** Enforced by every surface. */
  readonly maxItems?: number;
}

/** A map of string to string (labels, headers). */
export interface MapNode extends Described {
  readonly type: 'map';
  readonly values: StringNode;
  /** Enforced by every surface. */
  readonly maxProperties?: number;
}

export type Properties = Readonly<Record<string, FieldNode>>;

export interface ObjectNode<P extends Properties = Properties> extends Described {
  readonly type: 'object';
  /** In the order messages list them. */
  readonly properties: P;
  /** Names of `properties` (the builder, `object`, checks them). */
  readonly required?: readonly string[];
  /**
   * The code the validator reports this object's unknown, missing and out-of-enum fields with, when
   * it is not the usual one (label selectors report every problem as POLICY_INVALID_SELECTOR).
   */
  readonly issueCode?: IssueCode;
  /**
   * Field groups of which exactly one is given, whole (`[['port'], ['startPort', 'endPort']]`).
   * The validator checks them by hand with its own messages; CRDs get a CEL rule.
   */
  readonly alternatives?: readonly (readonly string[])[];
  /** A minimal valid value, when the required fields alone are not one. */
  readonly example?: Readonly<Record<string, unknown>>;
}

/** A string shorthand or the full map, as in `destinationCIDRs: ["10.0.0.0/8", {cidr, except}]`. */
export interface EitherNode extends Described {
  readonly type: 'either';
  readonly string: StringNode;
  readonly object: ObjectNode;
}

/** Another spelling of a sibling field (an upstream API's snake_case); giving both is an error. */
export interface AliasNode extends Described {
  readonly type: 'alias';
  readonly of: string;
}

/** An upstream field accepted so manifests load unchanged, with a warning that it has no effect. */
export interface IgnoredNode extends Described {
  readonly type: 'ignored';
}

/** A field the validator recognises only to refuse with its own code (a key written in clear). */
export interface RejectedNode extends Described {
  readonly type: 'rejected';
  readonly code: IssueCode;
}

export type SchemaNode =
  StringNode | IntegerNode | BooleanNode | ListNode | MapNode | ObjectNode | EitherNode;
export type FieldNode = SchemaNode | AliasNode | IgnoredNode | RejectedNode;

export function string(
  description: string,
  bounds: Omit<StringNode, 'type' | 'description'> = {},
): StringNode {
  return Object.assign({ type: 'string' as const, description }, bounds);
}

export function enumString<T extends string>(
  values: readonly T[],
  description: string,
  options: { readonly caseInsensitive?: boolean } = {},
): StringNode<T> & { readonly enum: readonly T[] } {
  return Object.assign({ type: 'string' as const, description, enum: values }, options);
}

export function integer(
  description: string,
  bounds: Omit<IntegerNode, 'type' | 'description'> = {},
): IntegerNode {
  return Object.assign({ type: 'integer' as const, description }, bounds);
}

export function boolean(description: string): BooleanNode {
  return { type: 'boolean', description };
}

export function list(
  items: SchemaNode,
  description: string,
  bounds: Omit<ListNode, 'type' | 'description' | 'items'> = {},
): ListNode {
  return Object.assign({ type: 'list' as const, description, items }, bounds);
}

export function stringMap(values: StringNode, description: string, maxProperties?: number): MapNode {
  const node: MapNode = { type: 'map', description, values };
  return maxProperties === undefined ? node : Object.assign({ maxProperties }, node);
}

export function object<P extends Properties>(
  description: string,
  properties: P,
  options: Omit<ObjectNode<P>, 'type' | 'description' | 'properties' | 'required' | 'alternatives'> & {
    readonly required?: readonly (keyof P & string)[];
    readonly alternatives?: readonly (readonly (keyof P & string)[])[];
  } = {},
): ObjectNode<P> {
  return Object.assign({ type: 'object' as const, description, properties }, options);
}

export function either(stringForm: StringNode, objectForm: ObjectNode, description: string): EitherNode {
  return { type: 'either', description, string: stringForm, object: objectForm };
}

/** `whose`: whose spelling it is (`OrcaRouter's`), for the description. */
export function alias(of: string, whose: string): AliasNode {
  return { type: 'alias', of, description: `${whose} spelling of \`${of}\`; give only one of the two` };
}

export function ignored(description: string): IgnoredNode {
  return { type: 'ignored', description };
}

export function rejected(code: IssueCode, description: string): RejectedNode {
  return { type: 'rejected', code, description };
}

/** The node an alias stands for; other nodes are their own. */
export function resolve(parent: ObjectNode, node: FieldNode): FieldNode {
  if (node.type !== 'alias') return node;
  const target = parent.properties[node.of];
  if (target === undefined || target.type === 'alias') {
    throw new Error(`alias of \`${node.of}\` names no field of its object`);
  }
  return target;
}

/** The value fields of an object (aliases resolved), without ignored and rejected ones. */
export function valueFields(node: ObjectNode): [string, SchemaNode][] {
  const fields: [string, SchemaNode][] = [];
  for (const [name, field] of Object.entries(node.properties)) {
    const target = resolve(node, field);
    if (target.type !== 'ignored' && target.type !== 'rejected' && target.type !== 'alias') {
      fields.push([name, target]);
    }
  }
  return fields;
}
