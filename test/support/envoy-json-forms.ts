/**
 * The proto3 JSON forms Envoy's config loader accepts for scalar fields and for the well-known
 * types whose JSON is not an object of fields (Duration "1.5s", wrappers as bare values, Struct as
 * any JSON...). Each check answers with a problem message, or undefined when the value fits.
 */

export const ANY_TYPE = 'google.protobuf.Any';

/** Well-known message types with a JSON form of their own; an Any carries them under `value`. */
const SPECIAL_FORMS: Record<string, (value: unknown) => string | undefined> = {
  'google.protobuf.Duration': (v) => durationProblem(v),
  'google.protobuf.Timestamp': (v) =>
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(v) &&
    !Number.isNaN(Date.parse(v))
      ? undefined
      : `expected an RFC 3339 timestamp string, got ${describe(v)}`,
  'google.protobuf.FieldMask': (v) =>
    typeof v === 'string' ? undefined : `expected a comma-separated field mask string, got ${describe(v)}`,
  'google.protobuf.Struct': (v) =>
    isObject(v) ? undefined : `expected an object (Struct), got ${describe(v)}`,
  'google.protobuf.Value': () => undefined,
  'google.protobuf.ListValue': (v) =>
    Array.isArray(v) ? undefined : `expected a list (ListValue), got ${describe(v)}`,
  'google.protobuf.Empty': (v) =>
    isObject(v) && Object.keys(v).length === 0 ? undefined : `expected {} (Empty), got ${describe(v)}`,
  'google.protobuf.DoubleValue': (v) => scalarProblem('double', v),
  'google.protobuf.FloatValue': (v) => scalarProblem('float', v),
  'google.protobuf.Int64Value': (v) => scalarProblem('int64', v),
  'google.protobuf.UInt64Value': (v) => scalarProblem('uint64', v),
  'google.protobuf.Int32Value': (v) => scalarProblem('int32', v),
  'google.protobuf.UInt32Value': (v) => scalarProblem('uint32', v),
  'google.protobuf.BoolValue': (v) => scalarProblem('bool', v),
  'google.protobuf.StringValue': (v) => scalarProblem('string', v),
  'google.protobuf.BytesValue': (v) => scalarProblem('bytes', v),
};

/** The JSON-form check for a well-known type, if it has a JSON form of its own. */
export function specialForm(fullName: string): ((value: unknown) => string | undefined) | undefined {
  return SPECIAL_FORMS[fullName];
}

/** The numeric value a wrapper or scalar holds, for range rules; undefined if it is not a number. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** A proto scalar type (`string`, `uint32`, `bool`, `bytes`, ...) in its proto3 JSON form. */
export function scalarProblem(type: string, value: unknown): string | undefined {
  const range = INT_RANGES[type];
  if (range !== undefined) {
    // Integers are numbers or decimal strings (64-bit ones are usually strings, to stay exact).
    let n: bigint;
    if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
    else return `expected ${type} (an integer, or a decimal string), got ${describe(value)}`;
    return n < range[0] || n > range[1] ? `${value} is out of range for ${type}` : undefined;
  }
  switch (type) {
    case 'double':
    case 'float':
      if (typeof value === 'number') return undefined;
      if (
        typeof value === 'string' &&
        (['NaN', 'Infinity', '-Infinity'].includes(value) || numericValue(value) !== undefined)
      )
        return undefined;
      return `expected ${type} (a number), got ${describe(value)}`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : `expected bool (true or false), got ${describe(value)}`;
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${describe(value)}`;
    case 'bytes':
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)
        ? undefined
        : `expected bytes as a base64 string, got ${describe(value)}`;
    default:
      return `unsupported scalar type ${type}`;
  }
}

/** Seconds of a Duration string ("1.5s", "0s", "-2s"), or undefined if it is not one. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value);
  if (match === null) return undefined;
  const seconds = Number(match[2]) + Number(`0.${match[3] ?? '0'}`);
  return match[1] === '-' ? -seconds : seconds;
}

function durationProblem(value: unknown): string | undefined {
  const seconds = durationSeconds(value);
  if (seconds === undefined)
    return `expected a Duration string such as "1.5s" (seconds with an "s" suffix), got ${describe(value)}`;
  return Math.abs(seconds) > 315_576_000_000 ? `${String(value)} is out of range for a Duration` : undefined;
}
