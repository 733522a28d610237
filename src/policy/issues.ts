/**
 * The closed list of policy issue codes and the one-line rendering `portcullis validate` prints.
 *
 * Codes are part of the user interface (CI scripts grep for them, tests assert them), so a code is
 * never renamed or reused; new problems get new codes here.
 */
import type { Issue } from './types';

/** Every code a policy issue can carry, with what it means. */
export const ISSUE_CODES = {
  POLICY_FILE_NOT_FOUND: 'a path given on the command line or in configuration does not exist',
  POLICY_FILE_UNREADABLE: 'a policy file or directory exists but could not be read',
  POLICY_LOAD_FAILED:
    'loading failed outside validation (reading the files or the admin store threw); the last good snapshot stays in force',
  POLICY_YAML_SYNTAX: 'the file is not well-formed YAML or JSON',
  POLICY_UNKNOWN_API_VERSION: 'apiVersion is not one Portcullis accepts',
  POLICY_UNKNOWN_KIND: 'kind is not one Portcullis accepts for that apiVersion',
  POLICY_UNKNOWN_FIELD: 'a field that this kind does not have (often a typo)',
  POLICY_IGNORED_FIELD: 'a field of the upstream API that Portcullis accepts but does not use (warning)',
  POLICY_MISSING_FIELD: 'a required field is absent',
  POLICY_WRONG_TYPE: 'a field has the wrong YAML type (string, number, list, map…)',
  POLICY_INVALID_VALUE: 'a field has the right type but a value outside what it allows',
  POLICY_INVALID_NAME: 'a resource, namespace or listener name is not a valid DNS-1123 name',
  POLICY_INVALID_LABEL: 'a label key or value is not a valid Kubernetes label',
  POLICY_INVALID_CIDR: 'a CIDR does not parse or has host bits set',
  POLICY_EXCEPT_OUTSIDE: 'an `except` CIDR is not inside its `cidr` (or is of the other address family)',
  POLICY_INVALID_HOSTNAME: 'a destination host name or wildcard pattern is not valid',
  POLICY_PUBLIC_SUFFIX:
    'an allowed host pattern covers a whole public suffix (`**.com`, `*.co.uk`, `**.github.io`) or is an ICANN one (`com`)',
  POLICY_INVALID_PORT: 'a port number is not an integer in 1..65535',
  POLICY_INVALID_PORT_RANGE: 'a port entry mixes `port` with `startPort`/`endPort`, or start > end',
  POLICY_INVALID_SELECTOR: 'a label selector is malformed (operator, values, keys)',
  POLICY_INVALID_HEADER: 'a deny-response header name or value cannot be sent',
  POLICY_MATCHES_EVERYTHING: 'a route match names no destination, so it allows every destination (warning)',
  POLICY_UNKNOWN_GATEWAY: 'a route refers to a gateway that is not defined',
  POLICY_UNKNOWN_LISTENER: 'a route names a listener (`sectionName`) its gateway does not have',
  POLICY_UNKNOWN_ROUTE: 'a deny policy targets a route that is not defined',
  POLICY_DUPLICATE_NAME: 'two resources (or two listeners) share a kind, namespace and name',
  POLICY_INVALID_IP: 'an IP address literal does not parse (canonical dotted quad or RFC 4291 IPv6 text)',
  POLICY_INVALID_JSON: 'a field that holds JSON text (`egress_json` of a firewall rule) does not parse',
  POLICY_STAGE_NOT_EGRESS: 'a firewall rule stage other than `egress` or `` never applies (warning)',
  POLICY_RULE_SCOPE_EMPTY:
    'a firewall rule has no entries in its scope list (`deny` for deny rules, `allow` for allow and audit rules), so it never matches (warning)',
  POLICY_RULE_UNREACHABLE:
    'a firewall rule comes after a rule of the same policy that covers every address with no carve-out, so it is never reached (warning)',
  POLICY_LISTENER_PROTOCOL_MISMATCH:
    'a route match asks for a transport (TCP or UDP) that none of the listeners it is attached to carries, so it never matches (warning)',
  POLICY_AMBIGUOUS_NAME: 'one firewall policy name in two namespaces; bare names get the first (warning)',
  POLICY_MULTIPLE_WORKSPACE_DEFAULTS: 'more than one enabled EgressFirewallPolicy sets `workspaceDefault`',
  POLICY_NAMESPACE_QUARANTINED:
    'an EgressNamespace has an empty `allowedDomains`, so it reaches nothing (warning)',
  POLICY_CHILD_WIDENS_PARENT: 'an EgressNamespace allows a domain an ancestor namespace does not cover',
  POLICY_DUPLICATE_NAMESPACE_PATH: 'two EgressNamespace resources define the same namespace path',
  POLICY_DUPLICATE_DOMAIN: 'the same domain is listed twice in one allow or block list (warning)',
  POLICY_INVALID_REGEX: 'a regular expression does not compile under re2 (no backreferences, no lookaround)',
  POLICY_REGEX_UNANCHORED:
    'an allow regex lacks `^…$`, so it also matches names that merely contain it (warning)',
  POLICY_PERMITS_EVERYTHING:
    'a mirrord policy has no outgoing rules, so it permits every connection (warning)',
  POLICY_RAW_SECRET: 'a key, token or secret is written in clear where only its SHA-256 digest belongs',
  POLICY_INVALID_KEY_HASH: 'a key digest is not 64 hexadecimal characters (a SHA-256 digest)',
  POLICY_AMBIGUOUS_IDENTITY:
    'two agents claim the same context name, principal, key digest or source address',
  POLICY_UNKNOWN_FIREWALL_POLICY: 'an agent names a firewall policy that is not defined (warning)',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

/**
 * `file:line: path: message (fix: …)` on one line, so editors and CI annotate the right place.
 * Warnings say so after the location; the line and path are left out when unknown.
 */
export function formatIssue(issue: Issue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  const fix = issue.fix === undefined ? '' : ` (fix: ${issue.fix})`;
  return `${where}: ${severity}${path}${oneLine(issue.message)}${oneLine(fix)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}
