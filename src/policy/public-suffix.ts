/**
 * Public suffixes: names under which anyone may register a domain (`com`, `co.uk`, and the
 * private-section ones such as `github.io`, where anyone may create a site). A host pattern that
 * covers one allows every name registered there, which is no egress control at all.
 *
 * The Public Suffix List comes with the `tldts` package (compiled into its code: no file or network
 * access at load), so the list a release checks against is the one locked in package-lock.json.
 */
import { parse } from 'tldts';

import type { HostPattern } from './values';

/** Which part of the list names the suffix: ICANN (registries) or private (hosting providers). */
export type PublicSuffixSection = 'icann' | 'private';

export interface PublicSuffixHit {
  /** The suffix the pattern is or covers: `com`, `co.uk`, `github.io`. */
  readonly suffix: string;
  readonly section: PublicSuffixSection;
}

/**
 * Both sections, and no host extraction, IP detection or validation: callers pass names that
 * `normalizeHostname` already accepted.
 */
const OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  detectIp: false,
  validateHostname: false,
  mixedInputs: false,
} as const;

/**
 * The section of the list that names `name` (normalised, no trailing dot) as a public suffix, or
 * undefined. Names the list does not know (`internal`, `local`, `test`) are not suffixes here: the
 * list's implicit `*` rule would make every unknown top-level label one, but nobody registers
 * names under those in public DNS.
 */
export function publicSuffixSection(name: string): PublicSuffixSection | undefined {
  const parsed = parse(name, OPTIONS);
  if (parsed.publicSuffix !== name) return undefined;
  if (parsed.isIcann === true) return 'icann';
  if (parsed.isPrivate === true) return 'private';
  return undefined;
}

/**
 * The public suffix a pattern is or covers entirely, or undefined:
 * - exact `co.uk`: the pattern is that suffix (it matches only the name itself);
 * - `*.com`: every registrable domain directly under the suffix;
 * - `**.github.io`: every name under it. The parent of a wildcard rule (`nagoya.jp` for
 *   `*.nagoya.jp`) counts as a suffix too, so `**.nagoya.jp` is reported.
 * A pattern that merely contains a suffix deeper down (`**.amazonaws.com` over `s3.amazonaws.com`)
 * is not reported: `tldts` answers for a given name and cannot list the rules below it.
 */
export function publicSuffixOf(pattern: HostPattern): PublicSuffixHit | undefined {
  const section = publicSuffixSection(pattern.suffix);
  return section === undefined ? undefined : { suffix: pattern.suffix, section };
}
