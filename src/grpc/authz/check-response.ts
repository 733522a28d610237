/**
 * `Decision` → Envoy `CheckResponse` (docs/envoy-contract.md §4). Envoy reads only `status.code`
 * (0 allows; an empty response allows too), so every deny carries PERMISSION_DENIED explicitly.
 */
import type { Decision, DenyHttpResponse } from '../../engine/types';
import type {
  CheckResponse,
  DeniedHttpResponse,
  HeaderValueOption,
  ProtoStruct,
  ProtoValue,
} from '../protos';
import type { CheckSurface } from './check-request';

export const DECISION_ID_HEADER = 'x-portcullis-decision-id';

const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;
const FALLBACK_HTTP_STATUS = 403;

/**
 * The network filter ignores `ok_response`/`denied_response` and closes the connection on a deny
 * (docs/envoy-contract.md §4.2), so L4 answers carry only the status and the dynamic metadata.
 */
export function toCheckResponse(decision: Decision, surface: CheckSurface): CheckResponse {
  const dynamic_metadata = decisionMetadata(decision);
  if (decision.verdict === 'allow') {
    const status = { code: GRPC_OK };
    if (surface === 'check-l4') return { status, dynamic_metadata };
    return {
      status,
      ok_response: {
        headers: [headerOption(DECISION_ID_HEADER, decision.id)],
        headers_to_remove: decision.stripHeaders,
      },
      dynamic_metadata,
    };
  }
  const status = { code: GRPC_PERMISSION_DENIED, message: decision.reason };
  if (surface === 'check-l4') return { status, dynamic_metadata };
  return { status, denied_response: deniedResponse(decision.response, decision.id), dynamic_metadata };
}

/**
 * The answer when not even a deny `Decision` could be produced. It is still a normal deny: a gRPC
 * error would hand the outcome to Envoy's `failure_mode_allow` (docs/envoy-contract.md §1 item 2).
 */
export function fallbackCheckResponse(surface: CheckSurface, message: string): CheckResponse {
  const status = { code: GRPC_PERMISSION_DENIED, message };
  const dynamic_metadata: ProtoStruct = {
    fields: {
      verdict: { stringValue: 'deny' },
      reason_code: { stringValue: 'internal_error' },
      enforced: { boolValue: true },
    },
  };
  if (surface === 'check-l4') return { status, dynamic_metadata };
  return {
    status,
    denied_response: { status: { code: FALLBACK_HTTP_STATUS }, body: 'egress denied: internal error\n' },
    dynamic_metadata,
  };
}

function deniedResponse(response: DenyHttpResponse, decisionId: string): DeniedHttpResponse {
  const headers = Object.entries(response.headers)
    .filter(([key]) => key.toLowerCase() !== DECISION_ID_HEADER)
    .map(([key, value]) => headerOption(key, value));
  headers.push(headerOption(DECISION_ID_HEADER, decisionId));
  return { status: { code: response.status }, headers, body: response.body };
}

/**
 * `header.value`, not `raw_value`, is what ext_authz reads; `append: false` is sent explicitly
 * because Envoy 1.37 briefly treated an unset flag as append (docs/envoy-contract.md §1 items 4–5).
 */
function headerOption(key: string, value: string): HeaderValueOption {
  return { header: { key, value }, append: { value: false } };
}

/**
 * Stored by Envoy under `envoy.filters.{http,network}.ext_authz` for access logs
 * (docs/envoy-contract.md §1 item 7). Value keys are camelCase: snake_case ones are silently dropped
 * by the encoder (§1 item 8).
 */
function decisionMetadata(decision: Decision): ProtoStruct {
  const fields: Record<string, ProtoValue> = {
    decision_id: { stringValue: decision.id },
    verdict: { stringValue: decision.verdict },
    reason_code: { stringValue: decision.reasonCode },
    enforced: { boolValue: decision.enforced },
    snapshot_version: { numberValue: decision.snapshotVersion },
  };
  if (decision.rule !== undefined) fields['rule'] = { stringValue: decision.rule.label };
  if (decision.policy !== undefined) {
    const { kind, namespace, name } = decision.policy;
    fields['policy'] = { stringValue: namespace === '' ? `${kind}/${name}` : `${kind}/${namespace}/${name}` };
  }
  return { fields };
}
