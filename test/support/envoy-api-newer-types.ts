/**
 * Shapes of the allow-list of Envoy API fields and types newer than the proto snapshot in
 * @grpc/grpc-js-xds (test/support/envoy-api-newer.ts holds the list itself).
 */

/** What a newer field holds, so its value is still checked. */
export type NewerValue =
  /** A proto scalar (`string`, `bool`, `uint32`, ...). */
  | { readonly kind: 'scalar'; readonly type: string }
  /** An enum the snapshot lacks: its value names. */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** A message the snapshot has (or a well-known type): checked in full. */
  | { readonly kind: 'message'; readonly type: string };

export interface NewerFieldSpec {
  readonly field: string;
  /** The field number upstream, for the reader (a renumbering would be a different field). */
  readonly number: number;
  readonly value: NewerValue;
  readonly repeated?: boolean;
  /** `(validate.rules).message.required` upstream. */
  readonly required?: boolean;
  /** `(validate.rules).string.min_len` upstream. */
  readonly minLen?: number;
}

/** A field added to a message the snapshot has. */
export interface NewerField extends NewerFieldSpec {
  /** Full name of the message, e.g. `envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`. */
  readonly message: string;
  /** The first Envoy release with the field. */
  readonly since: string;
  /** Where the release number was read. */
  readonly source: string;
}

/** A whole message type the snapshot lacks, reached through an Any (`typed_config`). */
export interface NewerType {
  readonly typeUrl: string;
  /** The fields it may carry; any other key is a problem. */
  readonly fields: readonly NewerFieldSpec[];
  readonly since: string;
  readonly source: string;
}

/** A value added to an enum the snapshot has (e.g. a new processing mode). */
export interface NewerEnumValue {
  /** Full name of the enum, e.g. `envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode`. */
  readonly enum: string;
  readonly value: string;
  readonly number: number;
  readonly since: string;
  readonly source: string;
}

export function newerEnumValueKey(entry: Pick<NewerEnumValue, 'enum' | 'value'>): string {
  return `${entry.enum}.${entry.value}`;
}

export function newerFieldKey(entry: Pick<NewerField, 'message' | 'field'>): string {
  return `${entry.message}.${entry.field}`;
}
