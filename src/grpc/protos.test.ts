/**
 * Proves the trimmed protos against the field tables of docs/envoy-contract.md (§8): every
 * expected byte string below is built from the table's field numbers (tag = field << 3 | wire
 * type), never by the code under test.
 */
import {
  authorizationServiceDefinition,
  externalProcessorServiceDefinition,
  healthServiceDefinition,
} from './protos';

const VARINT = 0;
const LEN = 2;

function varint(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

const tag = (field: number, wire: number): number[] => varint((field << 3) | wire);
const int = (field: number, n: number): number[] => [...tag(field, VARINT), ...varint(n)];
const str = (field: number, s: string | Buffer): number[] => {
  const b = Buffer.from(s);
  return [...tag(field, LEN), ...varint(b.length), ...b];
};
const msg = (field: number, ...parts: number[][]): number[] => {
  const body = parts.flat();
  return [...tag(field, LEN), ...varint(body.length), ...body];
};
/** A `map<string, V>` entry is a nested message {key = 1, value = 2}. */
const entry = (field: number, key: string, value: number[]): number[] => msg(field, str(1, key), value);
const bytes = (...parts: number[][]): Buffer => Buffer.from(parts.flat());

const check = authorizationServiceDefinition['Check']!;
const extProc = externalProcessorServiceDefinition['Process']!;
const health = healthServiceDefinition['Check']!;

describe('service paths (docs/envoy-contract.md §2.1)', () => {
  test.each([
    [check.path, '/envoy.service.auth.v3.Authorization/Check'],
    [extProc.path, '/envoy.service.ext_proc.v3.ExternalProcessor/Process'],
    [health.path, '/grpc.health.v1.Health/Check'],
    [healthServiceDefinition['Watch']!.path, '/grpc.health.v1.Health/Watch'],
    [healthServiceDefinition['List']!.path, '/grpc.health.v1.Health/List'],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  test('stream shapes', () => {
    expect([check.requestStream, check.responseStream]).toEqual([false, false]);
    expect([extProc.requestStream, extProc.responseStream]).toEqual([true, true]);
    expect(healthServiceDefinition['Watch']!.responseStream).toBe(true);
  });
});

describe('CheckRequest encoding (§8.1, §8.2)', () => {
  test('the helpers agree with a literal: attributes(1).request(4).http(2).host(5) = "a:1"', () => {
    const literal = Buffer.from('0a09220712052a03613a31', 'hex');
    expect(bytes(msg(1, msg(4, msg(2, str(5, 'a:1')))))).toEqual(literal);
    expect(check.requestSerialize({ attributes: { request: { http: { host: 'a:1' } } } })).toEqual(literal);
  });

  test('source address, HTTP request, context extension and TLS session', () => {
    const encoded = check.requestSerialize({
      attributes: {
        source: { address: { socket_address: { address: '10.0.0.5', port_value: 3 } } },
        request: { http: { id: '42', method: 'GET', path: '/p', host: 'a:1', scheme: 'http' } },
        context_extensions: { gateway: 'gw' },
        tls_session: { sni: 'x.io' },
      },
    });
    const expected = bytes(
      msg(
        1, // CheckRequest.attributes
        msg(1, msg(1, msg(1, str(2, '10.0.0.5'), int(3, 3)))), // source.address.socket_address
        msg(4, msg(2, str(1, '42'), str(2, 'GET'), str(4, '/p'), str(5, 'a:1'), str(6, 'http'))),
        entry(10, 'gateway', str(2, 'gw')), // context_extensions
        msg(12, str(1, 'x.io')), // tls_session.sni
      ),
    );
    expect(encoded).toEqual(expected);
    // Spot-check the tags the tables name: port_value 0x18, context_extensions 0x52, tls_session 0x62.
    expect(expected.includes(Buffer.from([0x18, 0x03]))).toBe(true);
    expect(expected.includes(Buffer.from([0x52]))).toBe(true);
    expect(expected.includes(Buffer.from([0x62, 0x06]))).toBe(true);
  });

  test('a hand-built network-filter request decodes with enum names, oneof names and string int64', () => {
    const wire = bytes(
      msg(
        1,
        msg(
          2, // destination
          msg(1, msg(1, int(1, 1), str(2, '1.2.3.4'), int(3, 53))), // address.socket_address, UDP
          str(2, 'sni.example'), // service
          str(4, 'spiffe://td/ns/a/sa/b'), // principal
        ),
        msg(
          4,
          msg(2, str(2, 'GET'), entry(3, ':authority', str(2, 'h.example')), int(9, 42)), // http
        ),
        msg(12, str(1, 'tls.example')),
      ),
    );
    expect(check.requestDeserialize(wire)).toEqual({
      attributes: {
        destination: {
          address: {
            socket_address: {
              protocol: 'UDP',
              address: '1.2.3.4',
              port_value: 53,
              port_specifier: 'port_value',
            },
            address: 'socket_address',
          },
          service: 'sni.example',
          principal: 'spiffe://td/ns/a/sa/b',
        },
        request: { http: { method: 'GET', headers: { ':authority': 'h.example' }, size: '42' } },
        tls_session: { sni: 'tls.example' },
      },
    });
  });
});

describe('CheckResponse encoding (§8.3, §8.4)', () => {
  test('deny: status(1) code 7, denied_response(2) with HttpStatus, header with append, body', () => {
    const encoded = check.responseSerialize({
      status: { code: 7, message: 'no' },
      denied_response: {
        status: { code: 403 },
        headers: [{ header: { key: 'k', value: 'v' }, append: { value: false } }],
        body: 'denied',
      },
      dynamic_metadata: { fields: { decision_id: { stringValue: 'd1' }, enforced: { boolValue: true } } },
    });
    const expected = bytes(
      msg(1, int(1, 7), str(2, 'no')),
      msg(
        2,
        msg(1, int(1, 403)),
        msg(2, msg(1, str(1, 'k'), str(2, 'v')), msg(2, int(1, 0))),
        str(3, 'denied'),
      ),
      // dynamic_metadata(4): Struct.fields(1) map<string, Value>; Value.string_value 3, bool_value 4.
      msg(4, entry(1, 'decision_id', msg(2, str(3, 'd1'))), entry(1, 'enforced', msg(2, int(4, 1)))),
    );
    expect(encoded).toEqual(expected);
    expect(expected.subarray(0, 2)).toEqual(Buffer.from([0x0a, 0x06]));
    expect(expected.includes(Buffer.from([0x08, 0x93, 0x03]))).toBe(true); // 403 as a varint
  });

  test('allow: ok_response(3) headers(2) and headers_to_remove(5)', () => {
    const encoded = check.responseSerialize({
      status: { code: 0 },
      ok_response: {
        headers: [{ header: { key: 'x-id', value: 'd2' }, append: { value: false } }],
        headers_to_remove: ['proxy-authorization'],
      },
    });
    expect(encoded).toEqual(
      bytes(
        msg(1, int(1, 0)),
        msg(
          3,
          msg(2, msg(1, str(1, 'x-id'), str(2, 'd2')), msg(2, int(1, 0))),
          str(5, 'proxy-authorization'),
        ),
      ),
    );
  });

  test('an HTTP status outside the StatusCode enum still goes out as its number', () => {
    const encoded = check.responseSerialize({
      status: { code: 7 },
      denied_response: { status: { code: 418 } },
    });
    expect(encoded).toEqual(bytes(msg(1, int(1, 7)), msg(2, msg(1, int(1, 418)))));
    expect(check.responseDeserialize(encoded)).toMatchObject({ denied_response: { status: { code: 418 } } });
  });

  test('a decoded response names its oneof member and uses enum names', () => {
    const wire = bytes(
      msg(1, int(1, 7)),
      msg(2, msg(1, int(1, 407))),
      msg(4, entry(1, 'v', msg(2, str(3, 'deny')))),
    );
    expect(check.responseDeserialize(wire)).toEqual({
      status: { code: 7 },
      denied_response: { status: { code: 'ProxyAuthenticationRequired' } },
      dynamic_metadata: { fields: { v: { stringValue: 'deny', kind: 'stringValue' } } },
      http_response: 'denied_response',
    });
  });

  test('error_response is field 5 of the same oneof', () => {
    expect(check.responseSerialize({ status: { code: 7 }, error_response: { body: 'e' } })).toEqual(
      bytes(msg(1, int(1, 7)), msg(5, str(3, 'e'))),
    );
  });
});

describe('ext_proc ProcessingResponse encoding (§8.5)', () => {
  test('immediate_response(7): HttpStatus 403, bytes body, details', () => {
    const encoded = extProc.responseSerialize({
      immediate_response: { status: { code: 403 }, body: Buffer.from('blocked'), details: 'portcullis' },
    });
    expect(encoded).toEqual(bytes(msg(7, msg(1, int(1, 403)), str(3, 'blocked'), str(5, 'portcullis'))));
    expect(encoded[0]).toBe(0x3a);
  });

  test('request_headers(1) continue with a raw_value header mutation', () => {
    const encoded = extProc.responseSerialize({
      request_headers: {
        response: {
          header_mutation: { set_headers: [{ header: { key: 'k', raw_value: Buffer.from('v') } }] },
        },
      },
    });
    expect(encoded).toEqual(bytes(msg(1, msg(1, msg(2, msg(1, msg(1, str(1, 'k'), str(3, 'v'))))))));
  });

  test('a hand-built request_headers(2) message decodes with raw_value bytes', () => {
    const wire = bytes(msg(2, msg(1, msg(1, str(1, ':authority'), str(3, 'h.example'))), int(3, 1)));
    expect(extProc.requestDeserialize(wire)).toEqual({
      request_headers: {
        headers: { headers: [{ key: ':authority', raw_value: Buffer.from('h.example') }] },
        end_of_stream: true,
      },
      request: 'request_headers',
    });
  });
});

describe('grpc.health.v1 encoding (§8.6)', () => {
  test.each([
    // protobufjs writes an explicitly set zero value; on the wire `08 00` and nothing decode alike.
    ['UNKNOWN', int(1, 0)],
    ['SERVING', int(1, 1)],
    ['NOT_SERVING', int(1, 2)],
    ['SERVICE_UNKNOWN', int(1, 3)],
  ] as const)('HealthCheckResponse %s', (status, wire) => {
    expect(health.responseSerialize({ status })).toEqual(bytes(wire));
    expect(health.responseDeserialize(bytes(wire))).toEqual({ status });
  });

  test('HealthCheckRequest service(1)', () => {
    expect(health.requestSerialize({ service: 'envoy.service.auth.v3.Authorization' })).toEqual(
      bytes(str(1, 'envoy.service.auth.v3.Authorization')),
    );
  });
});
