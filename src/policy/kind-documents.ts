/**
 * Typed policy documents of the kinds the admin API writes (EgressDomainList, EgressNamespace,
 * EgressFirewallPolicy, EgressAgent): builders that write only fields of each kind's description
 * (src/policy/kinds), and readers that take a stored document's spec back without casts.
 *
 * A stored document passed the validator when it was written, so a reader that meets another
 * shape throws (the admin API answers internal_error) rather than guess: a rule or entry silently
 * dropped on the next rewrite could widen what is allowed. Builders check nothing themselves; the
 * candidate goes through the same validator as files (sources/admin-policy.ts), and
 * kind-documents.test.ts proves every builder's output validates.
 */
import { FIREWALL_RULE } from './kinds/firewall';
import { isFields } from './validate-common';
import type { FirewallRule } from './types';
import { NATIVE_API_VERSION } from './types';

export interface PolicyDocument<S> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: S;
}

export type DomainEntrySpec = {
  readonly domain: string;
  readonly reason?: string;
  readonly requireAuth?: boolean;
};

export type DomainListSpec = {
  readonly allow: readonly DomainEntrySpec[];
  readonly block: readonly DomainEntrySpec[];
};

export type NamespaceSpec = {
  readonly path: string;
  readonly description?: string;
  /** Absent: the namespace does not restrict; empty: quarantine. */
  readonly allowedDomains?: readonly string[];
  readonly blockedDomains?: readonly string[];
};

export type EgressListsSpec = { readonly allow?: readonly string[]; readonly deny?: readonly string[] };

/** A rule as written: `egress` lists, or OrcaRouter's `egress_json` text of them. */
export type FirewallRuleSpec = {
  readonly label: string;
  readonly stage?: string;
  readonly verdict: FirewallRule['verdict'];
  readonly egress?: EgressListsSpec;
  readonly egress_json?: string;
};

export type FirewallPolicySpec = {
  readonly defaultVerdict?: FirewallRule['verdict'];
  readonly shadow?: boolean;
  readonly enabled?: boolean;
  readonly workspaceDefault?: boolean;
  readonly rules: readonly FirewallRuleSpec[];
};

export type AgentSpec = {
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly firewallPolicy?: string;
  readonly recognise?: {
    readonly contextName?: string;
    readonly principals?: readonly string[];
    readonly keys?: readonly { readonly sha256: string }[];
    readonly sourceCIDRs?: readonly string[];
  };
};

export const DOMAIN_LIST_KIND = 'EgressDomainList';
export const NAMESPACE_KIND = 'EgressNamespace';
export const FIREWALL_POLICY_KIND = 'EgressFirewallPolicy';
export const AGENT_KIND = 'EgressAgent';

function document<S>(
  kind: string,
  name: string,
  spec: S,
  annotations?: Readonly<Record<string, string>>,
): PolicyDocument<S> {
  const metadata =
    annotations === undefined || Object.keys(annotations).length === 0 ? { name } : { name, annotations };
  return { apiVersion: NATIVE_API_VERSION, kind, metadata, spec };
}

export function domainListDocument(name: string, spec: DomainListSpec): PolicyDocument<DomainListSpec> {
  return document(DOMAIN_LIST_KIND, name, {
    allow: spec.allow.map(domainEntry),
    block: spec.block.map(domainEntry),
  });
}

/** `prod/payments/eu-west` → `prod.payments.eu-west`: segments are DNS labels, so this is one-to-one. */
export function namespaceResourceName(path: string): string {
  return path.replace(/\//g, '.');
}

export function namespaceDocument(
  input: {
    readonly path: string;
    readonly description: string;
    readonly allowedDomains: readonly string[] | null;
    readonly blockedDomains: readonly string[];
  },
  annotations?: Readonly<Record<string, string>>,
): PolicyDocument<NamespaceSpec> {
  const spec: NamespaceSpec =
    input.allowedDomains === null
      ? { path: input.path, description: input.description, blockedDomains: input.blockedDomains }
      : {
          path: input.path,
          description: input.description,
          allowedDomains: input.allowedDomains,
          blockedDomains: input.blockedDomains,
        };
  return document(NAMESPACE_KIND, namespaceResourceName(input.path), spec, annotations);
}

export function firewallPolicyDocument(
  name: string,
  spec: FirewallPolicySpec,
): PolicyDocument<FirewallPolicySpec> {
  return document(
    FIREWALL_POLICY_KIND,
    name,
    defined({
      defaultVerdict: spec.defaultVerdict,
      shadow: spec.shadow,
      enabled: spec.enabled,
      workspaceDefault: spec.workspaceDefault,
      rules: spec.rules.map(firewallRule),
    }),
  );
}

export function agentDocument(name: string, spec: AgentSpec): PolicyDocument<AgentSpec> {
  const recognise = spec.recognise;
  return document(
    AGENT_KIND,
    name,
    defined({
      namespace: spec.namespace,
      labels: spec.labels,
      firewallPolicy: spec.firewallPolicy,
      recognise:
        recognise === undefined
          ? undefined
          : defined({
              contextName: recognise.contextName,
              principals: recognise.principals,
              keys: recognise.keys?.map((k) => ({ sha256: k.sha256 })),
              sourceCIDRs: recognise.sourceCIDRs,
            }),
    }),
  );
}

function domainEntry(entry: DomainEntrySpec): DomainEntrySpec {
  return defined({ domain: entry.domain, reason: entry.reason, requireAuth: entry.requireAuth });
}

function firewallRule(rule: FirewallRuleSpec): FirewallRuleSpec {
  const egress = rule.egress;
  return defined({
    label: rule.label,
    stage: rule.stage,
    verdict: rule.verdict,
    egress: egress === undefined ? undefined : defined({ allow: egress.allow, deny: egress.deny }),
    egress_json: rule.egress_json,
  });
}

/**
 * Readers of stored specs. The REST API's and OrcaRouter's spellings (`require_auth`,
 * `allowed_domains`, `default_verdict`, `shadow_mode`) are read too, since the validator accepts
 * them; builders always write ours.
 */
export function domainListSpecOf(spec: unknown): DomainListSpec {
  const fields = specFields(spec, DOMAIN_LIST_KIND);
  const entries = (key: string): DomainEntrySpec[] =>
    optionalList(fields[key], `${key}`).map((raw, i) => {
      if (typeof raw === 'string') return { domain: raw };
      const entry = fieldsAt(raw, `${key}[${i}]`);
      return defined({
        domain: requiredString(entry['domain'], `${key}[${i}].domain`),
        reason: optionalString(entry['reason'], `${key}[${i}].reason`),
        requireAuth: optionalBoolean(
          entry['requireAuth'] ?? entry['require_auth'],
          `${key}[${i}].requireAuth`,
        ),
      });
    });
  return { allow: entries('allow'), block: entries('block') };
}

export function namespaceSpecOf(spec: unknown): {
  readonly path: string | undefined;
  readonly description: string;
  readonly allowedDomains: readonly string[] | null;
  readonly blockedDomains: readonly string[];
} {
  const fields = specFields(spec, NAMESPACE_KIND);
  const allowed = fields['allowedDomains'] ?? fields['allowed_domains'];
  return {
    path: optionalString(fields['path'], 'path'),
    description: optionalString(fields['description'], 'description') ?? '',
    allowedDomains: allowed === undefined || allowed === null ? null : stringList(allowed, 'allowedDomains'),
    blockedDomains: stringList(fields['blockedDomains'] ?? fields['blocked_domains'] ?? [], 'blockedDomains'),
  };
}

export function firewallPolicySpecOf(spec: unknown): FirewallPolicySpec {
  const fields = specFields(spec, FIREWALL_POLICY_KIND);
  return defined({
    defaultVerdict: optionalVerdict(fields['defaultVerdict'] ?? fields['default_verdict'], 'defaultVerdict'),
    shadow: optionalBoolean(fields['shadow'] ?? fields['shadow_mode'], 'shadow'),
    enabled: optionalBoolean(fields['enabled'], 'enabled'),
    workspaceDefault: optionalBoolean(fields['workspaceDefault'], 'workspaceDefault'),
    rules: optionalList(fields['rules'], 'rules').map((raw, i) => ruleOf(raw, `rules[${i}]`)),
  });
}

export function agentSpecOf(spec: unknown): AgentSpec {
  const fields = specFields(spec, AGENT_KIND);
  const raw = fields['recognise'];
  const recognise = raw === undefined || raw === null ? undefined : fieldsAt(raw, 'recognise');
  return defined({
    namespace: optionalString(fields['namespace'], 'namespace'),
    labels: fields['labels'] === undefined ? undefined : stringMap(fields['labels'], 'labels'),
    firewallPolicy: optionalString(fields['firewallPolicy'], 'firewallPolicy'),
    recognise:
      recognise === undefined
        ? undefined
        : defined({
            contextName: optionalString(recognise['contextName'], 'recognise.contextName'),
            principals: optionalStrings(recognise['principals'], 'recognise.principals'),
            keys:
              recognise['keys'] === undefined
                ? undefined
                : optionalList(recognise['keys'], 'recognise.keys').map((k, i) => ({
                    sha256: requiredString(
                      fieldsAt(k, `recognise.keys[${i}]`)['sha256'],
                      `recognise.keys[${i}].sha256`,
                    ),
                  })),
            sourceCIDRs: optionalStrings(recognise['sourceCIDRs'], 'recognise.sourceCIDRs'),
          }),
  });
}

/** `kind`, Kubernetes namespace and name of a raw document, or undefined when it does not say. */
export function documentIdentity(
  value: unknown,
): { readonly kind: string; readonly namespace: string; readonly name: string } | undefined {
  if (!isFields(value)) return undefined;
  const metadata = value['metadata'];
  if (typeof value['kind'] !== 'string' || !isFields(metadata) || typeof metadata['name'] !== 'string') {
    return undefined;
  }
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : 'default';
  return { kind: value['kind'], namespace, name: metadata['name'] };
}

function ruleOf(raw: unknown, at: string): FirewallRuleSpec {
  const rule = fieldsAt(raw, at);
  const egress = rule['egress'];
  const lists = egress === undefined || egress === null ? undefined : fieldsAt(egress, `${at}.egress`);
  return defined({
    label: requiredString(rule['label'], `${at}.label`),
    stage: optionalString(rule['stage'], `${at}.stage`),
    verdict: requiredVerdict(rule['verdict'], `${at}.verdict`),
    egress:
      lists === undefined
        ? undefined
        : defined({
            allow: optionalStrings(lists['allow'], `${at}.egress.allow`),
            deny: optionalStrings(lists['deny'], `${at}.egress.deny`),
          }),
    egress_json: optionalString(rule['egress_json'], `${at}.egress_json`),
  });
}

const VERDICTS = FIREWALL_RULE.properties.verdict.enum;

function requiredVerdict(value: unknown, at: string): FirewallRule['verdict'] {
  const verdict = VERDICTS.find((v) => v === value);
  if (verdict === undefined) throw unexpected(at);
  return verdict;
}

function optionalVerdict(value: unknown, at: string): FirewallRule['verdict'] | undefined {
  return value === undefined || value === null ? undefined : requiredVerdict(value, at);
}

function specFields(spec: unknown, kind: string): Readonly<Record<string, unknown>> {
  if (!isFields(spec)) throw new Error(`a stored ${kind} has no spec map`);
  return spec;
}

function fieldsAt(value: unknown, at: string): Readonly<Record<string, unknown>> {
  if (!isFields(value)) throw unexpected(at);
  return value;
}

function requiredString(value: unknown, at: string): string {
  if (typeof value !== 'string') throw unexpected(at);
  return value;
}

function optionalString(value: unknown, at: string): string | undefined {
  return value === undefined || value === null ? undefined : requiredString(value, at);
}

function optionalBoolean(value: unknown, at: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw unexpected(at);
  return value;
}

function optionalList(value: unknown, at: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw unexpected(at);
  return value;
}

function stringList(value: unknown, at: string): string[] {
  return optionalList(value, at).map((v, i) => requiredString(v, `${at}[${i}]`));
}

function optionalStrings(value: unknown, at: string): string[] | undefined {
  return value === undefined || value === null ? undefined : stringList(value, at);
}

function stringMap(value: unknown, at: string): Record<string, string> {
  const fields = fieldsAt(value, at);
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, requiredString(v, `${at}.${k}`)]));
}

function unexpected(at: string): Error {
  return new Error(`a stored document does not match its kind's description at spec.${at}`);
}

/** `fields` with each key whose value may be undefined made optional. */
type Defined<T> = { readonly [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  readonly [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** The object without its undefined values: a document never holds an explicit undefined. */
function defined<T extends object>(fields: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as Defined<T>;
}
