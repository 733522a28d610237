/**
 * The gRPC client of `check --server`: one `Authorization/Check` call to a running Portcullis,
 * over the same service definition and loader options the server uses (src/grpc/protos.ts), and
 * its answer read back as Envoy would read it plus the decision fields in `dynamic_metadata`
 * (src/grpc/authz/check-response.ts).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  LOADER_OPTIONS,
  authorizationServiceDefinition,
  type CheckRequest,
  type CheckResponse,
  type HttpStatus,
  type ProtoValue,
} from '../grpc/protos';

export const DEFAULT_TIMEOUT_MS = 5000;

const GRPC_OK = 0;

const AuthorizationClient = grpc.makeGenericClientConstructor(
  authorizationServiceDefinition,
  'Authorization',
);

/** What the server said, as far as a CheckResponse says it. It carries no per-layer trace. */
export interface ServerAnswer {
  /** From `status.code`, which is all Envoy reads: 0 allows, anything else denies. */
  readonly verdict: 'allow' | 'deny';
  readonly grpcStatus: number;
  /** `status.message`: the decision's reason, sent with denies only. */
  readonly reason?: string;
  readonly decisionId?: string;
  readonly reasonCode?: string;
  /** `Kind/name` or `Kind/namespace/name`. */
  readonly policy?: string;
  readonly rule?: string;
  readonly enforced?: boolean;
  readonly snapshotVersion?: number;
  /** The HTTP answer Envoy would send for a denied HTTP or CONNECT request. */
  readonly response?: {
    readonly status: number;
    readonly body: string;
    readonly headers: Readonly<Record<string, string>>;
  };
}

export type ServerResult =
  { readonly ok: true; readonly answer: ServerAnswer } | { readonly ok: false; readonly message: string };

/**
 * Sends one Check and waits at most `timeoutMs`. Never throws: a server that cannot be reached,
 * answers with a gRPC error, or answers something that is not a Portcullis decision is `ok: false`
 * with a one-line message.
 */
export function askServer(
  address: string,
  request: CheckRequest,
  metadata: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<ServerResult> {
  const client = new AuthorizationClient(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise<ServerResult>((resolve) => {
    try {
      client['Check']!(
        request,
        md,
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, response: CheckResponse | undefined) => {
          if (err !== null) resolve({ ok: false, message: callFailure(address, err) });
          else resolve(readAnswer(response));
        },
      );
    } catch (err) {
      resolve({
        ok: false,
        message: `cannot call ${address}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }).finally(() => client.close());
}

function callFailure(address: string, err: grpc.ServiceError): string {
  const code = grpc.status[err.code] ?? String(err.code);
  const detail = oneLine(err.details || err.message);
  if (err.code === grpc.status.UNAVAILABLE) return `server ${address} unreachable (${code}): ${detail}`;
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return `server ${address} did not answer in time (${code})`;
  return `server ${address} answered with a gRPC error (${code}): ${detail}`;
}

function readAnswer(response: CheckResponse | undefined): ServerResult {
  const fields = response?.dynamic_metadata?.fields;
  const decisionId = text(fields?.['decision_id']);
  const reasonCode = text(fields?.['reason_code']);
  if (response === undefined || reasonCode === undefined) {
    return { ok: false, message: 'the answer carries no decision metadata: is this a Portcullis server?' };
  }
  const grpcStatus = response.status?.code ?? GRPC_OK;
  const answer: { -readonly [K in keyof ServerAnswer]: ServerAnswer[K] } = {
    verdict: grpcStatus === GRPC_OK ? 'allow' : 'deny',
    grpcStatus,
    reasonCode,
  };
  const reason = response.status?.message;
  if (reason !== undefined && reason !== '') answer.reason = oneLine(reason);
  if (decisionId !== undefined) answer.decisionId = decisionId;
  const policy = text(fields?.['policy']);
  if (policy !== undefined) answer.policy = policy;
  const rule = text(fields?.['rule']);
  if (rule !== undefined) answer.rule = rule;
  const enforced = fields?.['enforced']?.boolValue;
  if (enforced !== undefined) answer.enforced = enforced;
  const snapshot = fields?.['snapshot_version']?.numberValue;
  if (snapshot !== undefined) answer.snapshotVersion = snapshot;
  const denied = response.denied_response;
  if (denied !== undefined) {
    const headers: Record<string, string> = {};
    for (const option of denied.headers ?? []) {
      if (option.header?.key !== undefined) headers[option.header.key] = option.header.value ?? '';
    }
    answer.response = { status: httpStatusNumber(denied.status), body: denied.body ?? '', headers };
  }
  return { ok: true, answer };
}

function text(value: ProtoValue | undefined): string | undefined {
  return value?.stringValue;
}

function oneLine(message: string): string {
  // grpc-js ends connection failures with an empty "Resolution note:" when nothing was resolved.
  return message
    .replace(/\s+/g, ' ')
    .replace(/\s*Resolution note:\s*$/, '')
    .trim();
}

/** The loader turns `envoy.type.v3.StatusCode` into names (`Forbidden`); print the number. */
let statusNumbers: ReadonlyMap<string, number> | undefined;

function httpStatusNumber(status: HttpStatus | undefined): number {
  const code = status?.code;
  if (typeof code === 'number') return code;
  if (code === undefined) return 0;
  statusNumbers ??= loadStatusNumbers();
  return statusNumbers.get(code) ?? 0;
}

function loadStatusNumbers(): ReadonlyMap<string, number> {
  const definition = protoLoader.loadSync('envoy/type/v3/http_status.proto', LOADER_OPTIONS);
  const statusCode = definition['envoy.type.v3.StatusCode'] as
    { type?: { value?: readonly { name: string; number: number }[] } } | undefined;
  return new Map((statusCode?.type?.value ?? []).map((v) => [v.name, v.number]));
}
