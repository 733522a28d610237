/** Builds snapshots and requests for tests from inline YAML, through the real loader and compiler. */
import { parseDocuments } from '../../src/policy/documents';
import { validateDocuments, formatIssue } from '../../src/policy/validate';
import { compileSnapshot, type Snapshot } from '../../src/compile/snapshot';
import type { Resource } from '../../src/policy/types';
import type { EgressRequest, RawDestination } from '../../src/engine/types';

export function resourcesFromYaml(text: string, file = 'inline.yaml'): Resource[] {
  const parsed = parseDocuments(file, text);
  const validated = validateDocuments(parsed.docs);
  const errors = [...parsed.issues, ...validated.issues].filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`test policy is invalid:\n${errors.map(formatIssue).join('\n')}`);
  return validated.resources;
}

export function snapshotFromYaml(text: string, version = 1): Snapshot {
  return compileSnapshot(resourcesFromYaml(text), { version });
}

export interface RequestSpec {
  /** CONNECT-style authority `host:port`. */
  readonly connect?: string;
  /** L4: original destination `ip:port` (and optional SNI). */
  readonly l4?: string;
  readonly sni?: string;
  readonly protocol?: 'tcp' | 'udp';
  readonly gateway?: string;
  readonly listener?: string;
}

export function request(spec: RequestSpec): EgressRequest {
  let destination: RawDestination;
  if (spec.l4 !== undefined) {
    const i = spec.l4.lastIndexOf(':');
    destination = {
      address: spec.l4.slice(0, i).replace(/^\[|\]$/g, ''),
      port: Number(spec.l4.slice(i + 1)),
      protocol: spec.protocol ?? 'tcp',
      ...(spec.sni !== undefined ? { sni: spec.sni } : {}),
    };
  } else {
    destination = {
      authority: spec.connect ?? '',
      authoritySource: 'connect',
      protocol: spec.protocol ?? 'tcp',
      ...(spec.sni !== undefined ? { sni: spec.sni } : {}),
    };
  }
  return {
    surface: spec.l4 !== undefined ? 'check-l4' : 'check-http',
    source: { address: '10.1.2.3', port: 40000 },
    destination,
    context: {
      ...(spec.gateway !== undefined ? { gateway: spec.gateway } : {}),
      ...(spec.listener !== undefined ? { listener: spec.listener } : {}),
    },
  };
}
