/**
 * Host names and host-name patterns (README.md, "Matching semantics").
 *
 * One normal form for both sides of a match: lower case, no trailing dot, IDNA A-labels (UTS #46 via
 * `domainToASCII`). Policy loads reject what this refuses; requests with such a name are denied.
 *
 * Wildcards follow Cilium's split (cilium/cilium#43420): `*.` is exactly one extra label, `**.` one
 * or more, and neither ever matches the apex. `*.` means one label because the gateway model (CLRK)
 * says so, even though the Gateway API spec reads it as any depth; `**.` is how to say that
 * explicitly.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

import type { HostPattern } from './values';

export type NormalizeHostnameResult = { ok: true; host: string } | { ok: false; message: string };
export type ParseHostPatternResult =
  { ok: true; pattern: HostPattern } | { ok: false; message: string; fix?: string };

/** RFC 1035 §2.3.4: 255 octets on the wire is 253 characters of text without the trailing dot. */
const MAX_NAME = 253;
const MAX_LABEL = 63;
/**
 * Upper bound on input before IDNA mapping, which may expand or shrink text a little; only here so
 * a huge header cannot make us run UTS #46 over it.
 */
const MAX_INPUT = 1024;

/**
 * Format, control, separator and default-ignorable code points. UTS #46 would silently drop some
 * (soft hyphen, variation selectors) and map others; rejecting them keeps the name we judge the
 * name the client wrote. IDNs that need ZWJ/ZWNJ must be written as A-labels.
 */
const INVISIBLE = /[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}]/u;

/** Lower case, one trailing dot removed, IDNA to punycode, and RFC 1123 label rules (plus `_`). */
export function normalizeHostname(text: string): NormalizeHostnameResult {
  return isNormalHostname(text, 0, text.length) ? { ok: true, host: text } : normalizeHostnameFully(text);
}

/**
 * `normalizeHostname` without the shortcut for names already in normal form; exported so tests can
 * hold `isNormalHostname` to it.
 */
export function normalizeHostnameFully(text: string): NormalizeHostnameResult {
  if (text.length === 0) return { ok: false, message: 'host name is empty' };
  if (text.length > MAX_INPUT) {
    return { ok: false, message: `host name is longer than ${MAX_NAME} characters` };
  }

  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) ascii = false;
    else if (!isNameChar(c) && !(c >= 0x41 && c <= 0x5a)) {
      return { ok: false, message: `host name ${show(text)} contains ${describe(c)}` };
    }
  }

  let name: string;
  if (ascii) {
    name = text.toLowerCase();
  } else {
    if (INVISIBLE.test(text)) {
      return { ok: false, message: `host name ${show(text)} contains an invisible or control character` };
    }
    name = domainToASCII(text);
    if (name === '') {
      return { ok: false, message: `host name ${show(text)} is not a valid internationalised name` };
    }
    if (/(^|\.)-|-(\.|$)/.test(domainToUnicode(name))) {
      return { ok: false, message: `host name ${show(text)} has a label that starts or ends with \`-\`` };
    }
  }
  if (name.endsWith('.')) name = name.slice(0, -1);

  const problem = checkLabels(name);
  if (problem !== undefined) return { ok: false, message: `host name ${show(text)} ${problem}` };
  if (name.includes('xn--') && hasInvalidALabel(name)) {
    return { ok: false, message: `host name ${show(text)} has an invalid punycode (xn--) label` };
  }
  return { ok: true, host: name };
}

/**
 * True when `text` between `start` and `end` is a host name already in normal form, which
 * `normalizeHostname` would return unchanged: lower-case ASCII letters, digits, `-` and `_` in
 * labels of 1-63 characters, no `-` at a label's edge, at most 253 characters, no trailing dot, a
 * last label that is not a number, and no `xn--` (checking punycode needs UTS #46). False means
 * "ask `normalizeHostname`", not "invalid".
 *
 * Nearly every request names a host this way. One pass with no case folding, slicing or substring
 * searches takes about 55 ns on a name like `db.svc3.team2.example`, against 170 ns for the general
 * path.
 */
export function isNormalHostname(text: string, start: number, end: number): boolean {
  if (end - start > MAX_NAME) return false;
  let label = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) continue;
    if (c === 0x2e) {
      if (i === label || i - label > MAX_LABEL || text.charCodeAt(i - 1) === 0x2d) return false;
      label = i + 1;
    } else if (c === 0x2d) {
      if (i === label) return false;
      if (i - label >= 3 && text.charCodeAt(i - 1) === 0x2d && text.startsWith('xn', i - 3)) return false;
    } else {
      return false;
    }
  }
  if (end === label || end - label > MAX_LABEL || text.charCodeAt(end - 1) === 0x2d) return false;
  return !isNumericLabel(text, label, end);
}

/**
 * True when an `xn--` label of `name` does not decode to a valid IDN label. The URL functions of
 * Node 20 and 22 answer '' for such a name; Node 24 and later return the label unchanged, so the
 * test is that `domainToUnicode` left no `xn--` label behind, which holds on every version.
 */
function hasInvalidALabel(name: string): boolean {
  const unicode = domainToUnicode(name);
  return unicode === '' || /(^|\.)xn--/.test(unicode);
}

/** Lower-case letters, digits, `-`, `_`, `.`; callers fold case first. */
function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e;
}

function describe(c: number): string {
  if (c < 0x20 || c === 0x7f) return 'a control character';
  if (c === 0x20) return 'whitespace';
  return `${JSON.stringify(String.fromCharCode(c))}, which is not allowed in a host name`;
}

/** Why `name` (already lower case, ASCII, no trailing dot) is not a host name, or undefined. */
function checkLabels(name: string): string | undefined {
  if (name.length === 0) return 'has no labels';
  if (name.length > MAX_NAME) return `is longer than ${MAX_NAME} characters`;
  let start = 0;
  for (;;) {
    let end = name.indexOf('.', start);
    if (end < 0) end = name.length;
    const length = end - start;
    if (length === 0) return 'has an empty label';
    if (length > MAX_LABEL) return `has a label longer than ${MAX_LABEL} characters`;
    for (let i = start; i < end; i++) {
      if (!isNameChar(name.charCodeAt(i))) {
        return `contains ${describe(name.charCodeAt(i))}`;
      }
    }
    if (name.charCodeAt(start) === 0x2d || name.charCodeAt(end - 1) === 0x2d) {
      return 'has a label that starts or ends with `-`';
    }
    if (end === name.length) {
      return isNumericLabel(name, start, name.length)
        ? 'ends in a numeric label, so it is an address, not a name'
        : undefined;
    }
    start = end + 1;
  }
}

/**
 * The WHATWG URL "ends in a number" test: a last label of digits, or `0x` and hex digits. Such a
 * name is read as an IPv4 address by browsers and inet_aton, so it can never be a name here.
 */
function isNumericLabel(name: string, start: number, end: number): boolean {
  let i = start;
  let hex = false;
  if (end - start >= 2 && name.charCodeAt(start) === 0x30 && name.charCodeAt(start + 1) === 0x78) {
    hex = true;
    i += 2;
  }
  for (; i < end; i++) {
    const c = name.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    if (!digit && !(hex && c >= 0x61 && c <= 0x66)) return false;
  }
  return true;
}

/**
 * `example.com` (exact), `*.example.com` (one extra label), `**.example.com` (one or more extra
 * labels). A wildcard anywhere else is an error with a suggested rewrite.
 */
export function parseHostPattern(text: string): ParseHostPatternResult {
  const star = text.indexOf('*');
  if (star < 0) {
    const name = normalizeHostname(text);
    return name.ok ? { ok: true, pattern: { kind: 'exact', suffix: name.host, text: name.host } } : name;
  }

  const multi = text.startsWith('**.');
  const single = !multi && text.startsWith('*.');
  const rest = text.slice(multi ? 3 : single ? 2 : 0);
  if ((multi || single) && !rest.includes('*')) {
    if (rest.length === 0 || rest === '.') {
      return {
        ok: false,
        message: `host pattern ${show(text)} has nothing after the wildcard`,
        fix: 'name the domain: `*.example.com` for one level of subdomain, `**.example.com` for any depth',
      };
    }
    const suffix = normalizeHostname(rest);
    if (!suffix.ok) return { ok: false, message: `host pattern ${show(text)}: ${suffix.message}` };
    const kind = multi ? 'multi' : 'single';
    const prefix = multi ? '**.' : '*.';
    return { ok: true, pattern: { kind, suffix: suffix.host, text: `${prefix}${suffix.host}` } };
  }
  const { problem, fix } = misplacedWildcard(text);
  return { ok: false, message: `host pattern ${show(text)} ${problem}`, fix };
}

/** What is wrong with a pattern whose wildcard is misplaced, and a rewrite that says what it likely meant. */
function misplacedWildcard(text: string): { problem: string; fix: string } {
  const labels = text.split('.');
  let lastStar = labels.length - 1;
  while (!labels[lastStar].includes('*')) lastStar--;
  const rest = normalizeHostname(labels.slice(lastStar + 1).join('.'));
  const suffix = rest.ok ? rest.host : undefined;
  const generic = 'list each host name, or use `*.example.com` (one label) or `**.example.com` (any depth)';

  if (labels.length === 1 && /^\*+$/.test(text)) {
    return { problem: 'is a bare wildcard, which would match every host', fix: generic };
  }
  if (lastStar > 0) {
    return {
      problem: 'has a wildcard after the first label; only a leading `*.` or `**.` is a wildcard',
      fix:
        suffix === undefined ? 'list each host name' : `list each host name, or use **.${suffix} (any depth)`,
    };
  }
  const first = labels[0];
  if (/^\*{3,}$/.test(first)) {
    return {
      problem: 'uses more than two `*`; only `*.` and `**.` are wildcards',
      fix: suffix === undefined ? generic : `use **.${suffix}`,
    };
  }
  if (/^\*+[^*]+$/.test(first)) {
    const whole = normalizeHostname(text.replace(/^\*+/, ''));
    return {
      problem: 'has a wildcard that is not a whole label',
      fix: whole.ok
        ? `use *.${whole.host} for its subdomains, or ${whole.host} for the name itself`
        : generic,
    };
  }
  return {
    problem: 'has a wildcard inside a label; only whole-label `*.` and `**.` are wildcards',
    fix:
      suffix === undefined
        ? generic
        : `list each host name, or use *.${suffix} (one label) or **.${suffix} (any depth)`,
  };
}

/** Reference matcher over normalised names; the compiled matchers must agree with it. */
export function hostMatchesPattern(host: string, pattern: HostPattern): boolean {
  if (pattern.kind === 'exact') return host === pattern.suffix;
  const prefixLength = host.length - pattern.suffix.length - 1;
  if (prefixLength <= 0 || !host.endsWith(pattern.suffix) || host.charCodeAt(prefixLength) !== 0x2e) {
    return false;
  }
  return pattern.kind === 'multi' || host.lastIndexOf('.', prefixLength - 1) < 0;
}

/**
 * True when every host `inner` matches is also matched by `outer`; used to check that a child
 * namespace only narrows its parent.
 */
export function patternCovers(outer: HostPattern, inner: HostPattern): boolean {
  if (inner.kind === 'exact') return hostMatchesPattern(inner.suffix, outer);
  switch (outer.kind) {
    case 'exact':
      return false;
    case 'single':
      return inner.kind === 'single' && inner.suffix === outer.suffix;
    case 'multi':
      return inner.suffix === outer.suffix || inner.suffix.endsWith(`.${outer.suffix}`);
  }
}

function show(text: string): string {
  const clipped = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(clipped);
}
