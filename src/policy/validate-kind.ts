/**
 * The contract every kind's validator fulfils; `validate-registry.ts` lists the implementations.
 */
import type { Resource, ResourceMeta } from './types';
import type { ValidationContext } from './validate-context';

/** What cross-resource checks can see once every document has been read. */
export interface ResourceWorld {
  /** A resource that passed its own validation. */
  find(kind: string, namespace: string, name: string): Resource | undefined;
  /** True when some document declares it, even one with errors (so we do not also say "unknown"). */
  isDeclared(kind: string, namespace: string, name: string): boolean;
  /** Names declared for a kind in a namespace, for "did you mean" suggestions. */
  names(kind: string, namespace: string): string[];
  /** Every resource of a kind that passed its own checks, in document order, across namespaces. */
  all(kind: string): readonly Resource[];
}

export interface KindValidator<R extends Resource = Resource> {
  readonly kind: R['kind'];
  /** `apiVersion`s under which this kind is accepted; the CLRK and mirrord groups are aliases of ours. */
  readonly apiVersions: readonly string[];
  /** Checks `spec` and builds the resource; undefined when it could not be built at all. */
  validate(ctx: ValidationContext, spec: unknown, meta: ResourceMeta): R | undefined;
  /** References to other resources, checked after every document has passed its own checks. */
  crossCheck?(resource: R, world: ResourceWorld, ctx: ValidationContext): void;
}
