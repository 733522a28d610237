/**
 * Field walking shared by every kind: typed reads that report wrong types, unknown fields (with a
 * suggestion), upstream fields we ignore, and missing required ones.
 *
 * `null` counts as absent, as in Kubernetes: `tls:` with nothing after it is the same as no `tls`.
 */
import type { DocPath } from './documents';
import type { SchemaNode } from './kinds/schema-node';
import { didYouMean } from './suggest';
import { checkBounds } from './validate-bounds';
import type { ValidationContext } from './validate-context';

export type Fields = Readonly<Record<string, unknown>>;

export interface ObjectShape {
  /** Fields this object has. */
  readonly known: readonly string[];
  /** Fields of the upstream API that are accepted but have no effect in Portcullis. */
  readonly ignored?: readonly string[];
  readonly required?: readonly string[];
  /** Each field's description, whose size limits are checked (`shapeOf` in kinds/object-shape.ts). */
  readonly fields?: Readonly<Record<string, SchemaNode>>;
}

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number' && Number.isInteger(value)) return 'an integer';
  return `a ${typeof value}`;
}

/** Reads a map, checking its keys against `shape`. Undefined (reported) when it is not a map. */
export function readObject(
  ctx: ValidationContext,
  value: unknown,
  path: DocPath,
  shape: ObjectShape,
): Fields | undefined {
  if (!isFields(value)) {
    ctx.error(path, 'POLICY_WRONG_TYPE', `expected a map, found ${typeName(value)}`);
    return undefined;
  }
  const ignored = shape.ignored ?? [];
  for (const key of Object.keys(value)) {
    if (shape.known.includes(key)) continue;
    if (ignored.includes(key)) {
      ctx.warn(
        [...path, key],
        'POLICY_IGNORED_FIELD',
        `\`${key}\` is accepted for compatibility but ignored`,
      );
      continue;
    }
    const candidates = [...shape.known, ...ignored];
    ctx.error(
      [...path, key],
      'POLICY_UNKNOWN_FIELD',
      `unknown field \`${key}\`; expected one of ${candidates.map((c) => `\`${c}\``).join(', ')}`,
      ...optionalFix(didYouMean(key, candidates)),
    );
  }
  for (const key of shape.required ?? []) {
    if (value[key] === undefined || value[key] === null) {
      ctx.error([...path, key], 'POLICY_MISSING_FIELD', `\`${key}\` is required`);
    }
  }
  const fields = shape.fields;
  if (fields !== undefined) {
    for (const [key, field] of Object.entries(value)) {
      const node = fields[key];
      if (node !== undefined) checkBounds(ctx, key, field, [...path, key], node);
    }
  }
  return value;
}

/** Spread into `ctx.error(...)` so an absent fix is omitted rather than passed as undefined. */
export function optionalFix(fix: string | undefined): [] | [string] {
  return fix === undefined ? [] : [fix];
}

export function readString(
  ctx: ValidationContext,
  fields: Fields,
  key: string,
  path: DocPath,
): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  ctx.error([...path, key], 'POLICY_WRONG_TYPE', `\`${key}\` must be a string, found ${typeName(value)}`);
  return undefined;
}

export function readBoolean(
  ctx: ValidationContext,
  fields: Fields,
  key: string,
  path: DocPath,
): boolean | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  ctx.error(
    [...path, key],
    'POLICY_WRONG_TYPE',
    `\`${key}\` must be true or false, found ${typeName(value)}`,
    ...optionalFix(
      typeof value === 'string' ? `write \`${key}: true\` or \`${key}: false\` without quotes` : undefined,
    ),
  );
  return undefined;
}

/** An enum as a kind description gives it (kinds/schema-node.ts `enumString`). */
export interface EnumField<T extends string> {
  readonly enum: readonly T[];
  readonly caseInsensitive?: boolean;
}

/**
 * One of `allowed`. With `caseInsensitive`, `tcp` reads as `TCP`; otherwise a case slip is an
 * error whose fix names the right spelling.
 */
export function readEnum<T extends string>(
  ctx: ValidationContext,
  fields: Fields,
  key: string,
  path: DocPath,
  field: readonly T[] | EnumField<T>,
  options: { caseInsensitive?: boolean } = {},
): T | undefined {
  const allowed: readonly T[] = isEnumField(field) ? field.enum : field;
  const caseInsensitive = isEnumField(field) ? field.caseInsensitive : options.caseInsensitive;
  const text = readString(ctx, fields, key, path);
  if (text === undefined) return undefined;
  const exact = allowed.find((candidate) => candidate === text);
  if (exact !== undefined) return exact;
  const folded = allowed.find((candidate) => candidate.toLowerCase() === text.toLowerCase());
  if (folded !== undefined && caseInsensitive === true) return folded;
  ctx.error(
    [...path, key],
    'POLICY_INVALID_VALUE',
    `\`${key}\` must be one of ${allowed.join(', ')}; found \`${text}\``,
    ...optionalFix(folded !== undefined ? `write \`${folded}\`` : didYouMean(text, allowed)),
  );
  return undefined;
}

function isEnumField<T extends string>(field: readonly T[] | EnumField<T>): field is EnumField<T> {
  return !Array.isArray(field);
}

/**
 * A list. A lone scalar or map where a list belongs is the classic YAML slip, so the fix shows the
 * list form.
 */
export function readList(
  ctx: ValidationContext,
  fields: Fields,
  key: string,
  path: DocPath,
): readonly unknown[] | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  ctx.error(
    [...path, key],
    'POLICY_WRONG_TYPE',
    `\`${key}\` must be a list, found ${typeName(value)}`,
    typeof value === 'string' || typeof value === 'number'
      ? `write it as a list: \`${key}: [${JSON.stringify(value)}]\``
      : 'write it as a list of `- ` items',
  );
  return undefined;
}

/** A map of string to string (labels, annotations, headers). Non-string values are reported. */
export function readStringMap(
  ctx: ValidationContext,
  fields: Fields,
  key: string,
  path: DocPath,
): Record<string, string> | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (!isFields(value)) {
    ctx.error([...path, key], 'POLICY_WRONG_TYPE', `\`${key}\` must be a map, found ${typeName(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry === 'string') {
      out[name] = entry;
      continue;
    }
    ctx.error(
      [...path, key, name],
      'POLICY_WRONG_TYPE',
      `value of \`${name}\` must be a string, found ${typeName(entry)}`,
      `quote it: \`${name}: "${String(entry)}"\``,
    );
  }
  return out;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes object names (DNS-1123 subdomain): lower case, digits, `-` and `.`, at most 253. */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && text.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label));
}

/** Kubernetes namespaces (DNS-1123 label): lower case, digits and `-`, at most 63. */
export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS_LABEL.test(text);
}

/** A name the user can probably mean: lower-cased, runs of invalid characters turned into `-`. */
export function suggestDnsName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}
