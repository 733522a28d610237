/**
 * Parsers for `serve` settings. Each takes the raw value as it arrived (a flag's text, an
 * environment variable, or whatever YAML type the config file holds) and either returns the typed
 * value or says, in words that name the value, what is wrong with it. The caller prefixes where the
 * value came from (`--grpc-port`, `PORTCULLIS_GRPC_PORT`, `config.yaml: grpcPort`).
 */
import path from 'node:path';
import { parseCidr } from '../policy/cidr';
import type { Cidr } from '../policy/values';

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

export interface Parser<T> {
  /** What it accepts, for the documentation table: `0–65535`, `refused, nxdomain`. */
  readonly accepts: string;
  parse(raw: unknown): Parsed<T>;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (...problems: string[]): Parsed<never> => ({ ok: false, problems });

/** A single value as text: a string, or a number or boolean the config file gave as YAML. */
function scalar(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return undefined;
}

function notScalar(raw: unknown): Parsed<never> {
  return fail(`${Array.isArray(raw) ? 'a list' : 'a mapping'} where one value belongs`);
}

export function text(accepts: string): Parser<string> {
  return {
    accepts,
    parse(raw) {
      const value = scalar(raw);
      if (value === undefined) return notScalar(raw);
      return value.trim() === '' ? fail('an empty value') : ok(value);
    },
  };
}

/** A directory, made absolute against the working directory, so it means one place for the whole run. */
export function directory(): Parser<string> {
  const base = text('a directory');
  return {
    accepts: base.accepts,
    parse(raw) {
      const parsed = base.parse(raw);
      return parsed.ok ? ok(path.resolve(parsed.value)) : parsed;
    },
  };
}

export function wholeNumber(min: number, max: number): Parser<number> {
  return {
    accepts: `${min}–${max}`,
    parse(raw) {
      const value = scalar(raw);
      if (value === undefined) return notScalar(raw);
      if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
        return fail(`"${value}" is not a whole number from ${min} to ${max}`);
      }
      return ok(Number(value));
    },
  };
}

/** A TCP or UDP port; 0 asks the system for a free one. */
export function port(): Parser<number> {
  return wholeNumber(0, 65535);
}

/**
 * A port, or `off` for a listener that should not run. `-1` meant off before `off` existed; it is
 * still read that way, so existing deployments keep working.
 */
export function portOrOff(): Parser<number | 'off'> {
  const number = port();
  return {
    accepts: '0–65535, off',
    parse(raw) {
      const value = scalar(raw);
      if (value === 'off' || value === '-1') return ok('off');
      const parsed = number.parse(raw);
      if (parsed.ok || value === undefined) return parsed;
      return fail(`"${value}" is not a whole number from 0 to 65535, nor off`);
    },
  };
}

export function oneOf<const T extends string>(noun: string, values: readonly T[]): Parser<T> {
  return {
    accepts: values.join(', '),
    parse(raw) {
      const value = scalar(raw);
      if (value === undefined) return notScalar(raw);
      return (values as readonly string[]).includes(value)
        ? ok(value as T)
        : fail(`${noun} "${value}" is not one of ${values.join(', ')}`);
    },
  };
}

/**
 * A list: a repeated flag, a YAML list, or comma-separated text (the only way an environment
 * variable can hold several). Blank items are dropped; every bad item is reported.
 */
export function listOf<T>(accepts: string, item: (text: string) => Parsed<T>): Parser<readonly T[]> {
  return {
    accepts,
    parse(raw) {
      let items: string[];
      if (Array.isArray(raw)) items = raw.map((entry) => scalar(entry) ?? JSON.stringify(entry));
      else {
        const value = scalar(raw);
        if (value === undefined) return fail('a mapping where a list belongs');
        items = value.split(',');
      }
      const values: T[] = [];
      const problems: string[] = [];
      for (const entry of items.map((i) => i.trim()).filter((i) => i !== '')) {
        const parsed = item(entry);
        if (parsed.ok) values.push(parsed.value);
        else problems.push(...parsed.problems);
      }
      return problems.length > 0 ? { ok: false, problems } : ok(Object.freeze(values));
    },
  };
}

export const anyText = (entry: string): Parsed<string> => ok(entry);

/** `IPv4[:PORT]` or `[IPv6][:PORT]`: a resolver is dialled by address, never by a name it would resolve. */
export function upstreamAddress(entry: string): Parsed<string> {
  return /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/.test(entry)
    ? ok(entry)
    : fail(`DNS upstream "${entry}" is not IPv4[:PORT] or [IPv6][:PORT]`);
}

/** An address (taken as /32 or /128) or a CIDR. */
export function proxySource(entry: string): Parsed<Cidr> {
  const parsed = parseCidr(entry.includes('/') ? entry : `${entry}/${entry.includes(':') ? 128 : 32}`);
  return parsed.ok
    ? ok(parsed.cidr)
    : fail(`DNS proxy source "${entry}" is not an IP address or CIDR (${parsed.message})`);
}
