/**
 * Envoy's own API protos (the copy @grpc/grpc-js-xds ships under deps/), loaded with protobufjs,
 * and a check of an Envoy config (YAML/JSON value) against them in proto3 JSON terms. No Envoy
 * binary runs here, so `envoy --mode validate` cannot; this catches what it would reject for the
 * config's shape: unknown fields, wrong JSON types, unknown enum names, oneof clashes,
 * protoc-gen-validate rules, unresolvable `typed_config` type URLs, plus deprecated and
 * work-in-progress fields, which we do not ship.
 *
 * Loading is lazy: the first look-up scans the proto files' `package` and top-level `message`
 * declarations once (an index of full name to file), and each type URL then loads only its own file
 * and imports.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as protobuf from 'protobufjs';
import {
  ANY_TYPE,
  describe,
  durationSeconds,
  isObject,
  numericValue,
  scalarProblem,
  specialForm,
} from './envoy-json-forms';
import { NEWER_ENUM_VALUES, NEWER_FIELDS, NEWER_TYPES } from './envoy-api-newer';
import type { NewerFieldSpec, NewerValue } from './envoy-api-newer-types';
import { newerEnumValueKey, newerFieldKey } from './envoy-api-newer-types';

const DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/** Include roots, in the order imports are resolved. */
export const ENVOY_API_ROOTS: readonly string[] = [
  'envoy-api',
  'xds',
  'googleapis',
  'protoc-gen-validate',
].map((dir) => join(DEPS, dir));

export interface Problem {
  readonly path: string;
  readonly message: string;
}

export interface CheckOptions {
  /** Called with the key of every entry of test/support/envoy-api-newer.ts the config relies on. */
  readonly onNewer?: (key: string) => void;
}

/** Message types that carry arbitrary fields by design; their content is not checked. */
const OPAQUE_TYPES = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

// ---- loading ----------------------------------------------------------------------------------

interface EnvoyApi {
  readonly index: ReadonlyMap<string, string>;
  readonly root: protobuf.Root;
}

let cached: EnvoyApi | undefined;

function envoyApi(): EnvoyApi {
  if (cached !== undefined) return cached;
  // descriptor.proto is imported by the annotation protos but is not under deps/; protobufjs
  // bundles it as JSON and serves `google/protobuf/*.proto` imports from registered copies.
  const descriptor = JSON.parse(
    readFileSync(require.resolve('protobufjs/google/protobuf/descriptor.json'), 'utf8'),
  ) as { nested: { google: { nested: { protobuf: { nested: Record<string, unknown> } } } } };
  protobuf.common('descriptor', descriptor.nested.google.nested.protobuf.nested);

  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of ENVOY_API_ROOTS) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target; // google/protobuf/*.proto: protobufjs's bundled copies
  };
  cached = { index: buildIndex(), root };
  return cached;
}

/** `package.Message` (top-level messages) to the file's path relative to its include root. */
function buildIndex(): Map<string, string> {
  const index = new Map<string, string>();
  for (const dir of ENVOY_API_ROOTS) {
    for (const file of protoFiles(dir)) {
      const text = readFileSync(file, 'utf8');
      const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
      if (pkg === undefined) continue;
      let depth = 0;
      for (const raw of text.split('\n')) {
        const line = raw.replace(/\/\/.*$/, '');
        const message = depth === 0 ? /^\s*message\s+(\w+)/.exec(line)?.[1] : undefined;
        if (message !== undefined && !index.has(`${pkg}.${message}`))
          index.set(`${pkg}.${message}`, relative(dir, file));
        for (const ch of line) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
      }
    }
  }
  return index;
}

function protoFiles(dir: string, limit = 10_000): string[] {
  const found: string[] = [];
  const pending = [dir];
  while (pending.length > 0 && found.length < limit) {
    const current = pending.pop() as string;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.name.endsWith('.proto')) found.push(path);
    }
  }
  return found;
}

/** The message type with this full name (`envoy.config.core.v3.Address`), loading its file. */
export function lookupMessage(fullName: string): protobuf.Type | undefined {
  const api = envoyApi();
  // A nested message lives in the file of its outermost message: strip names until one is indexed.
  for (
    let candidate = fullName;
    candidate.includes('.');
    candidate = candidate.slice(0, candidate.lastIndexOf('.'))
  ) {
    const file = api.index.get(candidate);
    if (file === undefined) continue;
    if (!api.root.files.some((loaded) => loaded.endsWith(file))) {
      api.root.loadSync(file, { keepCase: true });
      api.root.resolveAll();
    }
    break;
  }
  const found = api.root.lookup(fullName);
  return found instanceof protobuf.Type ? found : undefined;
}

/** The message type a type URL (`type.googleapis.com/<full.message.Name>`) names. */
export function resolveTypeUrl(typeUrl: string): protobuf.Type | undefined {
  return lookupMessage(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
}

// ---- checking ---------------------------------------------------------------------------------

interface Context {
  readonly problems: Problem[];
  readonly onNewer: (key: string) => void;
}

/**
 * Every problem Envoy's config loader (or its protoc-gen-validate pass) would have with `doc` as a
 * `rootType`, plus deprecated and work-in-progress fields. An empty list means it passes.
 */
export function checkEnvoyConfig(
  doc: unknown,
  rootType = 'envoy.config.bootstrap.v3.Bootstrap',
  options: CheckOptions = {},
): Problem[] {
  if (lookupMessage(rootType) === undefined) throw new Error(`${rootType} is not in Envoy's API protos`);
  const ctx: Context = { problems: [], onNewer: options.onNewer ?? (() => undefined) };
  checkMessageValue(ctx, rootType, doc, '');
  return ctx.problems;
}

function report(ctx: Context, path: string, message: string | undefined): void {
  if (message !== undefined) ctx.problems.push({ path: path === '' ? '(root)' : path, message });
}

function child(path: string, key: string): string {
  if (!/^[A-Za-z_@][\w@]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

const nameOf = (type: protobuf.ReflectionObject): string => type.fullName.replace(/^\./, '');

function checkMessageValue(ctx: Context, fullName: string, value: unknown, path: string): void {
  if (fullName === ANY_TYPE) return checkAny(ctx, value, path);
  const special = specialForm(fullName);
  if (special !== undefined) return report(ctx, path, special(value));
  if (OPAQUE_TYPES.has(fullName)) {
    return report(ctx, path, isObject(value) ? undefined : `expected an object, got ${describe(value)}`);
  }
  const type = lookupMessage(fullName);
  if (type === undefined) return report(ctx, path, `${fullName} is not in Envoy's API protos`);
  checkFields(ctx, type, value, path);
}

function checkAny(ctx: Context, value: unknown, path: string): void {
  if (!isObject(value)) return report(ctx, path, `expected an Any ({"@type": ...}), got ${describe(value)}`);
  const typeUrl = value['@type'];
  if (typeof typeUrl !== 'string' || !typeUrl.includes('/')) {
    return report(ctx, path, 'an Any needs "@type": "type.googleapis.com/<full.message.Name>"');
  }
  const fullName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const rest = Object.fromEntries(Object.entries(value).filter(([key]) => key !== '@type'));
  const newer = NEWER_TYPES.find((entry) => entry.typeUrl.endsWith(`/${fullName}`));
  if (newer !== undefined) {
    ctx.onNewer(newer.typeUrl);
    return checkNewerFields(ctx, newer.fields, fullName, rest, path);
  }
  if (OPAQUE_TYPES.has(fullName)) return;
  const special = specialForm(fullName);
  if (special !== undefined) {
    // A well-known type with a JSON form of its own travels in an Any as {"@type", "value"}.
    for (const key of Object.keys(rest))
      if (key !== 'value') report(ctx, child(path, key), `unknown field in an Any of ${fullName}`);
    return report(ctx, child(path, 'value'), special(rest['value']));
  }
  const type = lookupMessage(fullName);
  if (type === undefined) return report(ctx, child(path, '@type'), `unknown type URL ${typeUrl}`);
  checkFields(ctx, type, rest, path);
}

const lowerCamel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const fieldMaps = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** Fields by proto name and by JSON name (lowerCamel, or an explicit json_name). */
function fieldsByKey(type: protobuf.Type): Map<string, protobuf.Field> {
  let map = fieldMaps.get(type);
  if (map === undefined) {
    map = new Map();
    for (const field of type.fieldsArray) {
      map.set(field.name, field);
      map.set(lowerCamel(field.name), field);
      const jsonName: unknown = field.options?.['json_name'];
      if (typeof jsonName === 'string') map.set(jsonName, field);
    }
    fieldMaps.set(type, map);
  }
  return map;
}

const WIP_MESSAGE = '(xds.annotations.v3.message_status).work_in_progress';
const WIP_FIELD = '(xds.annotations.v3.field_status).work_in_progress';

function checkFields(ctx: Context, type: protobuf.Type, value: unknown, path: string): void {
  const typeName = nameOf(type);
  if (!isObject(value)) return report(ctx, path, `expected an object (${typeName}), got ${describe(value)}`);
  if (type.options?.[WIP_MESSAGE] === true) report(ctx, path, `${typeName} is marked work in progress`);
  const byKey = fieldsByKey(type);
  const present = new Map<protobuf.Field, unknown>();
  const keyOf = new Map<protobuf.Field, string>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const at = child(path, key);
    const field = byKey.get(key);
    if (field === undefined) {
      const newer = NEWER_FIELDS.find(
        (entry) => entry.message === typeName && (entry.field === key || lowerCamel(entry.field) === key),
      );
      if (newer === undefined) {
        report(ctx, at, `unknown field "${key}" in ${typeName}`);
        continue;
      }
      ctx.onNewer(newerFieldKey(newer));
      checkNewerValue(ctx, newer, fieldValue, at);
      continue;
    }
    const earlier = keyOf.get(field);
    if (earlier !== undefined) {
      report(ctx, at, `field ${field.name} is set twice (as "${earlier}" and "${key}")`);
      continue;
    }
    keyOf.set(field, key);
    if (fieldValue === null || fieldValue === undefined) continue; // JSON null leaves a field unset
    present.set(field, fieldValue);
    if (field.options?.['deprecated'] === true) report(ctx, at, `${typeName}.${field.name} is deprecated`);
    if (field.options?.[WIP_FIELD] === true)
      report(ctx, at, `${typeName}.${field.name} is marked work in progress`);
    checkFieldValue(ctx, field, fieldValue, at);
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((field) => present.has(field));
    if (set.length > 1) {
      report(
        ctx,
        path,
        `oneof ${oneof.name} of ${typeName}: only one of ${set.map((f) => f.name).join(', ')} may be set`,
      );
    }
    if (set.length === 0 && oneof.options?.['(validate.required)'] === true) {
      report(
        ctx,
        path,
        `oneof ${oneof.name} of ${typeName} is required: set one of ${oneof.oneof.join(', ')}`,
      );
    }
  }
  for (const field of type.fieldsArray) {
    checkRules(ctx, field, present.get(field), child(path, keyOf.get(field) ?? field.name), typeName);
  }
}

function checkFieldValue(ctx: Context, field: protobuf.Field, value: unknown, path: string): void {
  if (field.map) {
    if (!isObject(value)) return report(ctx, path, `expected an object (map), got ${describe(value)}`);
    const keyType = (field as unknown as protobuf.MapField).keyType;
    for (const [key, item] of Object.entries(value)) {
      const at = child(path, key);
      if (keyType === 'bool')
        report(ctx, at, key === 'true' || key === 'false' ? undefined : 'map key must be true or false');
      else if (keyType !== 'string') report(ctx, at, scalarProblem(keyType, key));
      checkSingle(ctx, field, item, at);
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return report(ctx, path, `expected a list, got ${describe(value)}`);
    value.forEach((item: unknown, i) => checkSingle(ctx, field, item, `${path}[${i}]`));
    return;
  }
  checkSingle(ctx, field, value, path);
}

function checkSingle(ctx: Context, field: protobuf.Field, value: unknown, path: string): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return checkEnum(ctx, resolved, field, value, path);
  if (value === null) return report(ctx, path, 'null is not allowed here');
  if (resolved instanceof protobuf.Type) return checkMessageValue(ctx, nameOf(resolved), value, path);
  report(ctx, path, scalarProblem(field.type, value));
}

function checkEnum(
  ctx: Context,
  type: protobuf.Enum,
  field: protobuf.Field,
  value: unknown,
  path: string,
): void {
  if (nameOf(type) === 'google.protobuf.NullValue' && value === null) return;
  const enumName = nameOf(type);
  const newer = NEWER_ENUM_VALUES.find(
    (entry) => entry.enum === enumName && (entry.value === value || entry.number === value),
  );
  if (newer !== undefined) {
    ctx.onNewer(newerEnumValueKey(newer));
    return;
  }
  let name: string | undefined;
  if (typeof value === 'string') {
    if (!(value in type.values)) {
      return report(
        ctx,
        path,
        `"${value}" is not a value of ${enumName} (${Object.keys(type.values).join(', ')})`,
      );
    }
    name = value;
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    name = type.valuesById[value];
    if (name === undefined && field.options?.['(validate.rules).enum.defined_only'] === true) {
      return report(ctx, path, `${value} is not a defined value of ${enumName}`);
    }
  } else {
    return report(ctx, path, `expected an enum name or number (${enumName}), got ${describe(value)}`);
  }
  if (name !== undefined && type.valuesOptions?.[name]?.['deprecated'] === true) {
    report(ctx, path, `${enumName}.${name} is deprecated`);
  }
}

const NUMERIC_RULE =
  /^\(validate\.rules\)\.(u?int32|u?int64|s?fixed32|s?fixed64|sint32|sint64|double|float)\.(gt|gte|lt|lte)$/;

/**
 * protoc-gen-validate rules Envoy enforces on every message it loads. An unset scalar is checked
 * as its default (an unset string as "", an unset list as empty), as protoc-gen-validate does;
 * an unset message or oneof member is not.
 */
function checkRules(
  ctx: Context,
  field: protobuf.Field,
  value: unknown,
  path: string,
  typeName: string,
): void {
  const options = field.options ?? {};
  const rule = (key: string): unknown => options[`(validate.rules).${key}`];
  const absent = value === undefined;
  if (absent && field.partOf !== null) return;
  const isMessage = field.resolvedType instanceof protobuf.Type;
  const label = `${typeName}.${field.name}`;

  if (
    absent &&
    ['message', 'duration', 'timestamp', 'any'].some((kind) => rule(`${kind}.required`) === true)
  ) {
    return report(ctx, path, `${label} is required`);
  }
  if (absent && isMessage) return;

  if (field.repeated || field.map) {
    const count = absent
      ? 0
      : Array.isArray(value)
        ? value.length
        : isObject(value)
          ? Object.keys(value).length
          : 0;
    if (count === 0 && (rule('repeated.ignore_empty') === true || rule('map.ignore_empty') === true)) return;
    const min = rule('repeated.min_items') ?? rule('map.min_pairs');
    const max = rule('repeated.max_items') ?? rule('map.max_pairs');
    if (typeof min === 'number' && count < min)
      report(ctx, path, `${label} needs at least ${min} item(s), has ${count}`);
    if (typeof max === 'number' && count > max)
      report(ctx, path, `${label} allows at most ${max} item(s), has ${count}`);
    return;
  }

  const text = absent ? '' : value;
  if (typeof text === 'string' && !(text === '' && rule('string.ignore_empty') === true)) {
    const minLen = rule('string.min_len');
    const maxLen = rule('string.max_len');
    const minBytes = rule('string.min_bytes');
    const length = [...text].length;
    if (typeof minLen === 'number' && length < minLen) {
      report(ctx, path, `${label} must be at least ${minLen} character(s)${absent ? ' (it is unset)' : ''}`);
    }
    if (typeof maxLen === 'number' && length > maxLen)
      report(ctx, path, `${label} must be at most ${maxLen} character(s)`);
    if (typeof minBytes === 'number' && Buffer.byteLength(text) < minBytes) {
      report(ctx, path, `${label} must be at least ${minBytes} byte(s)${absent ? ' (it is unset)' : ''}`);
    }
  }

  const number = absent ? 0 : numericValue(value);
  if (number !== undefined) {
    const bounds: Record<string, number> = {};
    for (const [key, bound] of Object.entries(options)) {
      const match = NUMERIC_RULE.exec(key);
      if (match !== null && typeof bound === 'number') bounds[match[2] as string] = bound;
    }
    checkBounds(ctx, path, label, number, bounds, absent);
  }

  const seconds = absent ? undefined : durationSeconds(value);
  if (seconds !== undefined) {
    const bounds: Record<string, number> = {};
    for (const op of ['gt', 'gte', 'lt', 'lte']) {
      const s = rule(`duration.${op}.seconds`);
      const n = rule(`duration.${op}.nanos`);
      if (typeof s === 'number' || typeof n === 'number') {
        bounds[op] = (typeof s === 'number' ? s : 0) + (typeof n === 'number' ? n : 0) / 1e9;
      }
    }
    checkBounds(ctx, path, label, seconds, bounds, false);
  }
}

function checkBounds(
  ctx: Context,
  path: string,
  label: string,
  n: number,
  bounds: Record<string, number>,
  absent: boolean,
): void {
  const { gt, gte, lt, lte } = bounds;
  const lower = gt ?? gte;
  const upper = lt ?? lte;
  // protoc-gen-validate reads an upper bound below the lower one as "outside the range"; rare
  // enough in Envoy's API to leave unchecked.
  if (lower !== undefined && upper !== undefined && upper < lower) return;
  const unset = absent ? ' (it is unset, so 0)' : '';
  if (gt !== undefined && !(n > gt)) report(ctx, path, `${label} must be greater than ${gt}${unset}`);
  if (gte !== undefined && !(n >= gte)) report(ctx, path, `${label} must be at least ${gte}${unset}`);
  if (lt !== undefined && !(n < lt)) report(ctx, path, `${label} must be less than ${lt}${unset}`);
  if (lte !== undefined && !(n <= lte)) report(ctx, path, `${label} must be at most ${lte}${unset}`);
}

// ---- fields newer than the snapshot -------------------------------------------------------------

function checkNewerFields(
  ctx: Context,
  specs: readonly NewerFieldSpec[],
  typeName: string,
  value: Record<string, unknown>,
  path: string,
): void {
  const seen = new Set<NewerFieldSpec>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const spec = specs.find((s) => s.field === key || lowerCamel(s.field) === key);
    if (spec === undefined) {
      report(
        ctx,
        child(path, key),
        `unknown field "${key}" in ${typeName} (test/support/envoy-api-newer.ts)`,
      );
      continue;
    }
    seen.add(spec);
    checkNewerValue(ctx, spec, fieldValue, child(path, key));
  }
  for (const spec of specs) {
    if (spec.required === true && !seen.has(spec))
      report(ctx, child(path, spec.field), `${typeName}.${spec.field} is required`);
    if (spec.minLen !== undefined && !seen.has(spec)) {
      report(
        ctx,
        child(path, spec.field),
        `${typeName}.${spec.field} must be at least ${spec.minLen} character(s) (it is unset)`,
      );
    }
  }
}

function checkNewerValue(ctx: Context, spec: NewerFieldSpec, value: unknown, path: string): void {
  if (value === null) return;
  if (spec.repeated === true) {
    if (!Array.isArray(value)) return report(ctx, path, `expected a list, got ${describe(value)}`);
    value.forEach((item: unknown, i) => checkNewerSingle(ctx, spec.value, item, `${path}[${i}]`));
    return;
  }
  checkNewerSingle(ctx, spec.value, value, path);
  if (spec.minLen !== undefined && typeof value === 'string' && [...value].length < spec.minLen) {
    report(ctx, path, `${spec.field} must be at least ${spec.minLen} character(s)`);
  }
}

function checkNewerSingle(ctx: Context, spec: NewerValue, value: unknown, path: string): void {
  switch (spec.kind) {
    case 'scalar':
      return report(ctx, path, scalarProblem(spec.type, value));
    case 'enum':
      if (typeof value === 'string' && spec.values.includes(value)) return;
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < spec.values.length)
        return;
      return report(ctx, path, `expected one of ${spec.values.join(', ')}, got ${describe(value)}`);
    case 'message':
      return checkMessageValue(ctx, spec.type, value, path);
  }
}
