/**
 * The gRPC services Portcullis serves, loaded once from the trimmed files in `protos/`
 * (docs/envoy-contract.md §2.2), plus hand-written shapes of the messages the adapters touch.
 *
 * Loader options (docs/envoy-contract.md §2.3): `keepCase` keeps Envoy's snake_case field
 * names, `longs: String` keeps `int64` exact, `defaults: false` means an absent key is an unset
 * field, and `oneofs: true` adds the oneof name as a virtual property. Well-known types come from
 * protobufjs's bundled descriptors, so `google.protobuf.Value` keys are camelCase (§1 item 8).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Finds the package root by walking up, so this works from `src/` (Jest) and `dist/` (build). */
function findProtosDir(start: string): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'protos');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`protos/ not found above ${start}`);
    dir = parent;
  }
}

export const PROTOS_DIR = findProtosDir(__dirname);

export const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';
export const EXTERNAL_PROCESSOR_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTOS_DIR],
};

const packageDefinition = protoLoader.loadSync(
  [
    'envoy/service/auth/v3/external_auth.proto',
    'envoy/service/ext_proc/v3/external_processor.proto',
    'grpc/health/v1/health.proto',
  ],
  LOADER_OPTIONS,
);

function service(name: string): grpc.ServiceDefinition {
  const definition = packageDefinition[name];
  if (definition === undefined || 'format' in definition) throw new Error(`${name} is not a service`);
  return definition as unknown as grpc.ServiceDefinition;
}

export const authorizationServiceDefinition = service(AUTHORIZATION_SERVICE);
export const externalProcessorServiceDefinition = service(EXTERNAL_PROCESSOR_SERVICE);
export const healthServiceDefinition = service(HEALTH_SERVICE);

// ---- google.protobuf / google.rpc -------------------------------------------------------------

/** `google.protobuf.Value`; keys are camelCase even with `keepCase` (docs/envoy-contract.md §1 item 8). */
export interface ProtoValue {
  readonly nullValue?: 'NULL_VALUE' | 0;
  readonly numberValue?: number;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly structValue?: ProtoStruct;
  readonly listValue?: { readonly values?: readonly ProtoValue[] };
}

export interface ProtoStruct {
  readonly fields?: Readonly<Record<string, ProtoValue>>;
}

export interface RpcStatus {
  readonly code?: number;
  readonly message?: string;
}

// ---- envoy.config.core.v3 ---------------------------------------------------------------------

export interface SocketAddress {
  /** Enum `SocketAddress.Protocol`; absent means TCP (the zero value is never on the wire). */
  readonly protocol?: 'TCP' | 'UDP' | number;
  readonly address?: string;
  readonly port_value?: number;
  readonly named_port?: string;
}

export interface Address {
  readonly socket_address?: SocketAddress;
  readonly pipe?: { readonly path?: string };
  readonly envoy_internal_address?: { readonly server_listener_name?: string };
  /** The oneof's virtual field: which member is set. */
  readonly address?: 'socket_address' | 'pipe' | 'envoy_internal_address';
}

/** ext_authz reads `value`; ext_proc reads only `raw_value` (docs/envoy-contract.md §1 item 4). */
export interface HeaderValue {
  readonly key?: string;
  readonly value?: string;
  readonly raw_value?: Buffer | Uint8Array;
}

export interface HeaderValueOption {
  readonly header?: HeaderValue;
  /** Deprecated upstream but the only append flag ext_authz honours: always send it. */
  readonly append?: { readonly value?: boolean };
}

export interface HeaderMap {
  readonly headers?: readonly HeaderValue[];
}

/** `envoy.type.v3.HttpStatus`: a status number outside the enum passes through as a number. */
export interface HttpStatus {
  readonly code?: number | string;
}

// ---- envoy.service.auth.v3 --------------------------------------------------------------------

export interface Peer {
  readonly address?: Address;
  readonly service?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly principal?: string;
  readonly certificate?: string;
}

export interface HttpRequest {
  readonly id?: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly path?: string;
  readonly host?: string;
  readonly scheme?: string;
  /** int64 as a decimal string (`longs: String`). */
  readonly size?: string;
  readonly protocol?: string;
}

export interface AttributeContext {
  readonly source?: Peer;
  readonly destination?: Peer;
  readonly request?: {
    readonly time?: { readonly seconds?: string; readonly nanos?: number };
    readonly http?: HttpRequest;
  };
  readonly context_extensions?: Readonly<Record<string, string>>;
  readonly tls_session?: { readonly sni?: string };
}

export interface CheckRequest {
  readonly attributes?: AttributeContext;
}

export interface DeniedHttpResponse {
  readonly status?: HttpStatus;
  readonly headers?: readonly HeaderValueOption[];
  readonly body?: string;
}

export interface OkHttpResponse {
  readonly headers?: readonly HeaderValueOption[];
  readonly headers_to_remove?: readonly string[];
}

export interface CheckResponse {
  readonly status?: RpcStatus;
  readonly denied_response?: DeniedHttpResponse;
  readonly ok_response?: OkHttpResponse;
  readonly dynamic_metadata?: ProtoStruct;
  /** The oneof's virtual field, present on decoded responses. */
  readonly http_response?: 'denied_response' | 'ok_response' | 'error_response';
}

// ---- envoy.service.ext_proc.v3 ----------------------------------------------------------------

export interface HttpHeaders {
  readonly headers?: HeaderMap;
  readonly end_of_stream?: boolean;
}

export interface ProcessingRequest {
  readonly request_headers?: HttpHeaders;
  readonly response_headers?: HttpHeaders;
  readonly attributes?: Readonly<Record<string, ProtoStruct>>;
  readonly observability_mode?: boolean;
  /** The oneof's virtual field: which message this is. */
  readonly request?:
    | 'request_headers'
    | 'response_headers'
    | 'request_body'
    | 'response_body'
    | 'request_trailers'
    | 'response_trailers';
}

export interface HeaderMutation {
  readonly set_headers?: readonly HeaderValueOption[];
  readonly remove_headers?: readonly string[];
}

export interface CommonResponse {
  readonly status?: 'CONTINUE' | 'CONTINUE_AND_REPLACE';
  readonly header_mutation?: HeaderMutation;
  readonly clear_route_cache?: boolean;
}

export interface ImmediateResponse {
  /** Always set: a missing or <200 status becomes HTTP 200 (docs/envoy-contract.md §1 item 9). */
  readonly status?: HttpStatus;
  readonly headers?: HeaderMutation;
  readonly body?: Buffer | Uint8Array;
  readonly details?: string;
}

export interface ProcessingResponse {
  readonly request_headers?: { readonly response?: CommonResponse };
  readonly response_headers?: { readonly response?: CommonResponse };
  readonly immediate_response?: ImmediateResponse;
  readonly dynamic_metadata?: ProtoStruct;
}

// ---- grpc.health.v1 ---------------------------------------------------------------------------

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthCheckRequest {
  readonly service?: string;
}

export interface HealthCheckResponse {
  readonly status?: ServingStatus;
}

export interface HealthListResponse {
  readonly statuses?: Readonly<Record<string, HealthCheckResponse>>;
}
