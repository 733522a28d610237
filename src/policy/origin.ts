/**
 * Which policy source defined a document, typed: a file (path and line), the admin store (the
 * stored resource's kind and name) or, later, a Kubernetes object. Code that must tell them apart
 * (may the admin API edit this? which issues are the admin change's own?) reads `kind`; messages
 * name the place with `originLabel`, never the other way round.
 */
import type { SourceRef } from './types';

export type Origin =
  | { readonly kind: 'file'; readonly file: string; readonly line: number }
  | { readonly kind: 'admin'; readonly resourceKind: string; readonly name: string }
  | {
      readonly kind: 'kubernetes';
      readonly namespace: string;
      readonly name: string;
      readonly uid: string;
    };

export type OriginKind = Origin['kind'];

export function fileOrigin(file: string, line: number): Origin {
  return { kind: 'file', file, line };
}

export function adminOrigin(resourceKind: string, name: string): Origin {
  return { kind: 'admin', resourceKind, name };
}

/**
 * How issues and messages name the place: the file path as given, `admin:<kind>/<name>` for a
 * stored resource, `kubernetes:<namespace>/<name>` for a cluster object.
 */
export function originLabel(origin: Origin): string {
  switch (origin.kind) {
    case 'file':
      return origin.file;
    case 'admin':
      return `admin:${origin.resourceKind}/${origin.name}`;
    case 'kubernetes':
      return `kubernetes:${origin.namespace}/${origin.name}`;
  }
}

/** A resource's origin; resources built in code (tests, benchmarks) carry none and count as files. */
export function originOf(source: SourceRef): Origin {
  return source.origin ?? fileOrigin(source.file, source.line);
}
