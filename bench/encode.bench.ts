/**
 * CheckResponse encoding: protobufjs (proto-loader's serializer, what Check used before) against the
 * hand-written `encodeCheckResponse`, on the three answers Portcullis sends most. Each figure is
 * the median over several timed batches, in nanoseconds per encode, after a warm-up.
 */
import type { Decision } from '../src/engine/types';
import { authorizationServiceDefinition } from '../src/grpc/protos';
import type { CheckResponse } from '../src/grpc/protos';
import { encodeCheckResponse } from '../src/grpc/authz/check-response-codec';
import { toCheckResponse } from '../src/grpc/authz/check-response';

export interface EncodeBenchRow {
  readonly shape: string;
  readonly protobufjsNs: number;
  readonly handWrittenNs: number;
}

const BATCH = 2_000;
const SAMPLES = 21;

function decision(verdict: 'allow' | 'deny', response: Decision['response']): Decision {
  return {
    id: '01JX8Z6W3Q4T7Y2V9B5N1M0K8H',
    verdict,
    enforced: true,
    layer: 'gateway',
    reasonCode: verdict === 'allow' ? 'route_allowed' : 'deny_policy',
    reason:
      verdict === 'allow'
        ? 'allowed by EgressL4Route default/web'
        : 'api.evil.example:443 is denied by EgressDenyPolicy default/block-evil',
    policy:
      verdict === 'allow'
        ? { kind: 'EgressL4Route', namespace: 'default', name: 'web' }
        : { kind: 'EgressDenyPolicy', namespace: 'default', name: 'block-evil' },
    rule: { index: 'rules[0].matches[0]', label: 'rules[0].matches[0]' },
    response,
    agent: { name: 'coder', namespace: 'prod', identifiedBy: 'principal' },
    notes: [],
    trace: [],
    snapshotVersion: 17,
    nearMisses: [],
    stripHeaders: ['proxy-authorization'],
  };
}

function shapes(): [string, CheckResponse][] {
  const plain = { status: 403, body: 'egress denied\n', headers: {} };
  const custom = {
    status: 403,
    body: 'Egress to api.evil.example is blocked by policy default/block-evil. Contact #platform.\n',
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-portcullis-policy': 'default/block-evil' },
  };
  return [
    ['allow (HTTP)', toCheckResponse(decision('allow', plain), 'check-http')],
    ['deny (HTTP, custom body, 2 headers)', toCheckResponse(decision('deny', custom), 'check-http')],
    ['deny (L4)', toCheckResponse(decision('deny', plain), 'check-l4')],
  ];
}

function medianNsPerOp(encode: (response: CheckResponse) => Buffer, response: CheckResponse): number {
  let sink = 0;
  for (let i = 0; i < BATCH * 5; i++) sink += encode(response).length;
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) sink += encode(response).length;
    samples.push(Number(process.hrtime.bigint() - start) / BATCH);
  }
  if (sink === 0) throw new Error('nothing was encoded');
  samples.sort((a, b) => a - b);
  return Math.round(samples[Math.floor(SAMPLES / 2)]!);
}

export function runEncodeBench(): EncodeBenchRow[] {
  const protobufjs = authorizationServiceDefinition['Check']!.responseSerialize as (
    response: CheckResponse,
  ) => Buffer;
  return shapes().map(([shape, response]) => {
    if (!encodeCheckResponse(response).equals(protobufjs(response))) {
      throw new Error(`${shape}: the two encoders disagree`);
    }
    return {
      shape,
      protobufjsNs: medianNsPerOp(protobufjs, response),
      handWrittenNs: medianNsPerOp(encodeCheckResponse, response),
    };
  });
}

if (require.main === module) {
  for (const row of runEncodeBench()) {
    console.log(`${row.shape}: protobufjs ${row.protobufjsNs} ns, hand-written ${row.handWrittenNs} ns`);
  }
}
