/** The SDS service's options and the shapes it shares between its streams. */
import type * as grpc from '@grpc/grpc-js';

import type { SdsClock } from './sds-clock';
import type { Node } from './sds-protos';

/**
 * A certificate to serve: what src/tls/minter.ts mints (and src/tls/certificate-cache.ts hands out)
 * has this shape, so `mint: (name) => cache.get(name)` fits.
 */
export interface TlsSecretMaterial {
  /** Leaf first, then the CA; PEM. */
  readonly certificateChainPem: string;
  /** The leaf key, PEM. */
  readonly privateKeyPem: string;
  /** Unique per certificate: the secret's version. */
  readonly serialNumber: string;
  /** When it was minted and when it expires (ms since the epoch): rotation is due at 2/3. */
  readonly issuedAt: number;
  readonly notAfter: number;
}

export type AuthorizeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Who is asking: the stream's call metadata (Envoy's `initial_metadata`) and its xDS node. */
export interface SdsCallContext {
  readonly metadata: grpc.Metadata;
  readonly node: Node | undefined;
}

export interface SecretDiscoveryOptions {
  /** A certificate for the name (already checked to be a host name or IP, and authorized). */
  mint(name: string): Promise<TlsSecretMaterial>;
  /** May this name get a certificate? Asked for every new subscription and again at every rotation. */
  authorize(name: string, context: SdsCallContext): AuthorizeResult | Promise<AuthorizeResult>;
  /** Every refusal: not a host name or IP, the policy said no, or a bound was reached. */
  onRefused?(name: string, reason: string, context: SdsCallContext): void;
  /** Failures: a mint or authorize that threw, a NACK from Envoy, a write to a closed stream. */
  onError?(err: unknown): void;
  clock?: SdsClock;
  /** Names one stream may hold at once (default 10,000); the next are refused. */
  maxNamesPerStream?: number;
  /**
   * Open StreamSecrets and DeltaSecrets streams (default 10,000; Envoy opens one per name); the
   * next are ended at once.
   */
  maxStreams?: number;
}
