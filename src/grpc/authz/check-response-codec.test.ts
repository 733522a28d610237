/**
 * The hand-written CheckResponse encoder against protobufjs, which it replaces and must match byte
 * for byte: every shape the adapter builds, seeded random responses, literal bytes computed by
 * hand from the field tables (docs/envoy-contract.md §8.3, §8.4), the fallback for undeclared fields,
 * and the wiring into the gRPC server.
 */
import * as grpc from '@grpc/grpc-js';
import type { Decision } from '../../engine/types';
import { createRandom, testSeed, type Random } from '../../../test/support/random';
import { createHealthService } from '../health';
import type { CheckResponse, HeaderValueOption, ProtoStruct, ProtoValue } from '../protos';
import { authorizationServiceDefinition } from '../protos';
import type { GrpcServer } from '../server';
import { createGrpcServer } from '../server';
import type { CheckSurface } from './check-request';
import { encodeCheckResponse } from './check-response-codec';
import { fallbackCheckResponse, toCheckResponse } from './check-response';
import { sampleDecision } from '../../../test/support/decision';

const check = authorizationServiceDefinition['Check']!;
const reference = (response: unknown): Buffer => check.responseSerialize(response);
const hex = (bytes: Buffer): string => bytes.toString('hex');

/** Encodes and asserts the fallback was not taken, so protobufjs is never compared with itself. */
function encodeByHand(response: CheckResponse): Buffer {
  const spy = jest.spyOn(check, 'responseSerialize');
  try {
    const encoded = encodeCheckResponse(response);
    expect(spy).not.toHaveBeenCalled();
    return encoded;
  } finally {
    spy.mockRestore();
  }
}

function expectSameBytes(response: CheckResponse): void {
  expect(hex(encodeByHand(response))).toBe(hex(reference(response)));
}

const decision = sampleDecision;

const SURFACES: readonly CheckSurface[] = ['check-http', 'check-l4'];

describe('identical to protobufjs for what the adapter builds', () => {
  const decisions: [string, Decision][] = [
    ['deny, default 403', decision()],
    [
      'deny, custom headers and body',
      decision({
        response: {
          status: 407,
          body: 'proxy authentication required\n',
          headers: { 'proxy-authenticate': 'Basic realm="egress"', 'content-type': 'text/plain' },
        },
      }),
    ],
    [
      'deny, a header that duplicates the decision id header is replaced',
      decision({ response: { status: 403, body: 'x', headers: { 'X-Portcullis-Decision-Id': 'spoof' } } }),
    ],
    [
      'deny, empty body and reason',
      decision({ reason: '', response: { status: 403, body: '', headers: {} } }),
    ],
    [
      'deny, unicode everywhere',
      decision({
        id: 'déc-ü-中-😀',
        reason: 'refusé: ключ ✗ 😀',
        response: { status: 451, body: 'Zugriff verweigert — 禁止 🚫\n', headers: { 'x-why': 'naïve ✓' } },
      }),
    ],
    [
      'deny, body of 200 bytes (2-byte length)',
      decision({ response: { status: 403, body: 'b'.repeat(200), headers: {} } }),
    ],
    [
      'deny, body of 20,000 bytes (3-byte length)',
      decision({ response: { status: 403, body: 'é'.repeat(10_000), headers: { 'x-a': 'a'.repeat(130) } } }),
    ],
    ['deny, no policy or rule, root namespace', decision({ policy: undefined, rule: undefined })],
    [
      'deny, policy without namespace',
      decision({ policy: { kind: 'EgressFirewallPolicy', namespace: '', name: 'fw' } }),
    ],
    ['deny in shadow mode (enforced false, snapshot 0)', decision({ enforced: false, snapshotVersion: 0 })],
    [
      'allow',
      decision({
        id: 'dec-2',
        verdict: 'allow',
        reasonCode: 'route_allowed',
        reason: 'allowed',
        snapshotVersion: 2 ** 53,
      }),
    ],
    [
      'allow, no rule, negative and fractional snapshot versions',
      decision({ verdict: 'allow', rule: undefined, policy: undefined, snapshotVersion: -1.5 }),
    ],
  ];
  const cases = decisions.flatMap(([name, d]) =>
    SURFACES.map((surface) => [`${name} (${surface})`, toCheckResponse(d, surface)] as const),
  );
  cases.push(
    ...SURFACES.map((s) => [`fallback (${s})`, fallbackCheckResponse(s, 'engine exploded')] as const),
    ...SURFACES.map((s) => [`fallback, empty message (${s})`, fallbackCheckResponse(s, '')] as const),
  );

  test.each(cases)('%s', (_name, response) => {
    expectSameBytes(response);
  });
});

describe('identical to protobufjs at the edges of the schema', () => {
  const value = (v: ProtoValue): CheckResponse => ({ dynamic_metadata: { fields: { v } } });
  const cases: [string, CheckResponse][] = [
    ['empty response', {}],
    [
      'null and undefined fields are unset',
      { status: null, ok_response: undefined } as unknown as CheckResponse,
    ],
    ['zero values are written when set', { status: { code: 0, message: '' }, denied_response: { body: '' } }],
    ['empty submessages are written', { status: {}, denied_response: { status: {} }, dynamic_metadata: {} }],
    ['status code -1 (10-byte varint)', { status: { code: -1 } }],
    ['status code -2^31', { status: { code: -(2 ** 31) } }],
    ['status code 1.9 truncates', { status: { code: 1.9 } }],
    ['status code 2^31 wraps', { status: { code: 2 ** 31 } }],
    ['HTTP status -5', { status: { code: 7 }, denied_response: { status: { code: -5 } } }],
    ['HTTP status 0', { denied_response: { status: { code: 0 } } }],
    ['HTTP status 2^31-1', { denied_response: { status: { code: 2 ** 31 - 1 } } }],
    [
      'both oneof members set: both written, in field order',
      { denied_response: { body: 'd' }, ok_response: { headers_to_remove: ['h'] } },
    ],
    [
      'the oneof virtual field is ignored',
      { status: { code: 0 }, ok_response: {}, http_response: 'ok_response' },
    ],
    [
      'header options: empty, append {}, append null value, raw_value',
      {
        ok_response: {
          headers: [
            {},
            { append: {} },
            { append: { value: true } },
            { header: {}, append: { value: false } },
            { header: { key: '', value: '' } },
            { header: { key: 'k', raw_value: Buffer.from([0, 1, 255]) } },
            { header: { key: 'k', raw_value: new Uint8Array(0) } },
            { header: { key: 'k', raw_value: new Uint8Array(300).fill(7) } },
          ],
          headers_to_remove: ['', 'a', 'ü'],
        },
      },
    ],
    [
      'empty repeated fields write nothing',
      { ok_response: { headers: [], headers_to_remove: [] }, denied_response: { headers: [] } },
    ],
    ['Value nullValue NULL_VALUE', value({ nullValue: 'NULL_VALUE' })],
    ['Value nullValue 0', value({ nullValue: 0 })],
    ['Value numberValue 0', value({ numberValue: 0 })],
    ['Value numberValue -0', value({ numberValue: -0 })],
    ['Value numberValue -1', value({ numberValue: -1 })],
    ['Value numberValue 1.5', value({ numberValue: 1.5 })],
    ['Value numberValue 2^53', value({ numberValue: 2 ** 53 })],
    ['Value numberValue NaN', value({ numberValue: NaN })],
    [
      'Value numberValue ±Infinity',
      { dynamic_metadata: { fields: { a: { numberValue: Infinity }, b: { numberValue: -Infinity } } } },
    ],
    ['Value numberValue smallest subnormal', value({ numberValue: Number.MIN_VALUE })],
    ['Value stringValue empty', value({ stringValue: '' })],
    ['Value boolValue false', value({ boolValue: false })],
    ['Value boolValue true', value({ boolValue: true })],
    ['Value with no kind', value({})],
    [
      'Value with several kinds',
      value({
        nullValue: 0,
        numberValue: 2,
        stringValue: 's',
        boolValue: true,
        structValue: {},
        listValue: {},
      }),
    ],
    [
      'empty Struct fields and ListValue values',
      value({ structValue: { fields: {} }, listValue: { values: [] } }),
    ],
    [
      'nested structs and lists',
      value({
        structValue: {
          fields: {
            list: {
              listValue: {
                values: [{ numberValue: 1 }, { listValue: { values: [{ stringValue: 'deep' }, {}] } }],
              },
            },
            inner: { structValue: { fields: { b: { boolValue: false }, n: { nullValue: 'NULL_VALUE' } } } },
          },
        },
      }),
    ],
    [
      'map keys: empty, integer-like (they come first) and unicode',
      {
        dynamic_metadata: {
          fields: {
            z: {},
            '': { stringValue: 'empty key' },
            '10': {},
            '2': {},
            'ключ😀': { boolValue: true },
          },
        },
      },
    ],
    [
      'a Struct large enough for 2- and 3-byte lengths',
      {
        dynamic_metadata: {
          fields: Object.fromEntries(
            Array.from({ length: 400 }, (_, i) => [`k${i}`, { stringValue: 'v'.repeat(i) }]),
          ),
        },
      },
    ],
  ];

  test.each(cases)('%s', (_name, response) => {
    expectSameBytes(response);
  });

  test('Value nesting up to protobufjs depth limit 100 matches; one level deeper both throw', () => {
    // CheckResponse is depth 0, dynamic_metadata 1, its Values 2, each structValue adds 2.
    const nest = (levels: number): CheckResponse => {
      let v: ProtoValue = { stringValue: 'leaf' };
      for (let i = 0; i < levels; i++) v = { structValue: { fields: { k: v } } };
      return { dynamic_metadata: { fields: { k: v } } };
    };
    expectSameBytes(nest(49)); // innermost Value at depth 100
    expect(() => reference(nest(50))).toThrow('maximum nesting depth exceeded');
    expect(() => encodeCheckResponse(nest(50))).toThrow('maximum nesting depth exceeded');
  });
});

describe('bytes computed by hand (tag = field << 3 | wire type)', () => {
  test('a small allow', () => {
    const response: CheckResponse = {
      status: { code: 0 },
      ok_response: {
        headers: [{ header: { key: 'x', value: 'y' }, append: { value: false } }],
        headers_to_remove: ['h'],
      },
      dynamic_metadata: { fields: { n: { numberValue: 1.5 } } },
    };
    const expected = [
      '0a 02 08 00', // status(1) LEN 2 { code(1) varint 0 }
      '1a 11', // ok_response(3) LEN 17
      '12 0c', //   headers(2) LEN 12: HeaderValueOption
      '0a 06 0a 01 78 12 01 79', //     header(1) LEN 6 { key(1) "x", value(2) "y" }
      '12 02 08 00', //     append(2) BoolValue { value(1) false }
      '2a 01 68', //   headers_to_remove(5) "h"
      '22 10', // dynamic_metadata(4) LEN 16: Struct
      '0a 0e 0a 01 6e', //   fields(1) map entry LEN 14 { key(1) "n",
      '12 09 11 00 00 00 00 00 00 f8 3f', //   value(2) Value { number_value(2) fixed64 1.5 LE } }
    ].join(' ');
    expect(hex(encodeByHand(response))).toBe(expected.replaceAll(' ', ''));
  });

  test('a small deny', () => {
    const response: CheckResponse = {
      status: { code: 7, message: 'no' },
      denied_response: { status: { code: 403 }, body: 'b' },
      dynamic_metadata: { fields: { e: { boolValue: false } } },
    };
    const expected = [
      '0a 06 08 07 12 02 6e 6f', // status(1) LEN 6 { code(1) 7, message(2) "no" }
      '12 08', // denied_response(2) LEN 8
      '0a 03 08 93 03', //   status(1) HttpStatus { code(1) 403 = 0x93 0x03 }
      '1a 01 62', //   body(3) "b"
      '22 09 0a 07 0a 01 65 12 02 20 00', // dynamic_metadata(4) { fields(1) { "e": { bool_value(4) false } } }
    ].join(' ');
    expect(hex(encodeByHand(response))).toBe(expected.replaceAll(' ', ''));
  });

  test('a negative status code is a 10-byte varint', () => {
    expect(hex(encodeByHand({ status: { code: -1 } }))).toBe('0a0b08ffffffffffffffffff01');
  });

  test('a body of 128 bytes has a 2-byte length, 16384 bytes a 3-byte one', () => {
    const at = (n: number): string => hex(encodeByHand({ denied_response: { body: 'a'.repeat(n) } }));
    expect(at(128).slice(0, 12)).toBe('128301' + '1a8001'); // denied_response LEN 131, body(3) LEN 128 = 80 01
    expect(at(16_384).slice(0, 16)).toBe('128480' + '01' + '1a808001'); // LEN 16388 = 84 80 01, body LEN 16384 = 80 80 01
  });
});

describe('one intentional difference: lone surrogates', () => {
  test('become U+FFFD; protobufjs writes invalid UTF-8 for short strings', () => {
    const response: CheckResponse = { status: { code: 7, message: 'a\ud800b' } };
    // protobufjs's own UTF-8 writer (used below 40 code units) emits the surrogate as ed a0 80,
    // which Envoy's parser rejects as invalid UTF-8. Buffer encodes it as U+FFFD.
    expect(hex(reference(response))).toBe('0a0908071205' + '61eda08062');
    expect(hex(encodeByHand(response))).toBe('0a0908071205' + '61efbfbd62');
    // Above 40 code units protobufjs uses Buffer too, and the bytes agree again.
    expectSameBytes({ status: { code: 7, message: 'a\ud800b'.repeat(20) } });
  });
});

describe('seeded random responses', () => {
  const seed = testSeed();

  /** Code points chosen to exercise 1-, 2-, 3- and 4-byte UTF-8 and their boundaries. */
  const CHARS = [
    'a',
    'Z',
    ' ',
    '\0',
    '\x7f',
    '\x80',
    'é',
    '\u07ff',
    '\u0800',
    '中',
    '\uffff',
    '😀',
    '\u{10ffff}',
  ];

  function randomString(r: Random): string {
    const lengths = [0, 1, 5, 39, 40, 63, 64, 127, 128, 200, 16_383, 16_384, 20_000];
    const length = r.int(10) < 8 ? r.int(12) : r.pick(lengths);
    const ascii = r.int(2) === 0;
    let s = '';
    for (let i = 0; i < length; i++) s += ascii ? String.fromCharCode(97 + r.int(26)) : r.pick(CHARS);
    return s;
  }

  const maybe = (r: Random): boolean => r.int(3) !== 0;

  function randomInt32(r: Random): number {
    return r.pick([0, 1, 7, 16, 127, 128, 16_384, -1, -(2 ** 31), 2 ** 31 - 1, r.u32() | 0]);
  }

  function randomHeaderOption(r: Random): HeaderValueOption {
    const header: { key?: string; value?: string; raw_value?: Buffer } = {};
    if (maybe(r)) header.key = randomString(r);
    if (maybe(r)) header.value = randomString(r);
    if (r.int(5) === 0) header.raw_value = Buffer.from(randomString(r));
    const option: { header?: typeof header; append?: { value?: boolean } } = {};
    if (maybe(r)) option.header = header;
    const append = r.int(4);
    if (append === 1) option.append = {};
    if (append >= 2) option.append = { value: append === 3 };
    return option;
  }

  function randomValue(r: Random, depth: number): ProtoValue {
    switch (r.int(depth > 3 ? 4 : 6)) {
      case 0:
        return r.int(2) === 0 ? { nullValue: 'NULL_VALUE' } : { nullValue: 0 };
      case 1:
        return {
          numberValue: r.pick([0, -0, -1, 1.5, 2 ** 53, NaN, Infinity, 1e-310, r.u32() / 7, -r.u32()]),
        };
      case 2:
        return { stringValue: randomString(r) };
      case 3:
        return { boolValue: r.int(2) === 0 };
      case 4:
        return { structValue: randomStruct(r, depth + 1) };
      default: {
        const values: ProtoValue[] = [];
        for (let i = r.int(4); i > 0; i--) values.push(randomValue(r, depth + 1));
        return { listValue: { values } };
      }
    }
  }

  function randomStruct(r: Random, depth: number): ProtoStruct {
    const fields: Record<string, ProtoValue> = {};
    for (let i = r.int(5); i > 0; i--)
      fields[r.int(4) === 0 ? String(r.int(20)) : randomString(r)] = randomValue(r, depth + 1);
    return { fields };
  }

  function randomResponse(r: Random): CheckResponse {
    const response: {
      status?: { code?: number; message?: string };
      denied_response?: { status?: { code?: number }; headers?: HeaderValueOption[]; body?: string };
      ok_response?: { headers?: HeaderValueOption[]; headers_to_remove?: string[] };
      dynamic_metadata?: ProtoStruct;
    } = {};
    if (maybe(r)) {
      response.status = {};
      if (maybe(r)) response.status.code = randomInt32(r);
      if (maybe(r)) response.status.message = randomString(r);
    }
    const options = (): HeaderValueOption[] => Array.from({ length: r.int(4) }, () => randomHeaderOption(r));
    const shape = r.int(7);
    if (shape <= 2) {
      response.denied_response = {};
      if (maybe(r))
        response.denied_response.status = r.int(4) === 0 ? {} : { code: r.pick([403, 407, 0, 418, 511, -5]) };
      if (maybe(r)) response.denied_response.headers = options();
      if (maybe(r)) response.denied_response.body = randomString(r);
    } else if (shape <= 5) {
      response.ok_response = {};
      if (maybe(r)) response.ok_response.headers = options();
      if (maybe(r))
        response.ok_response.headers_to_remove = Array.from({ length: r.int(3) }, () => randomString(r));
    }
    if (maybe(r)) response.dynamic_metadata = randomStruct(r, 1);
    return response;
  }

  test(`300 responses encode identically (TEST_SEED=${seed})`, () => {
    const r = createRandom(seed);
    for (let i = 0; i < 300; i++) {
      const response = randomResponse(r);
      const ours = hex(encodeByHand(response));
      const theirs = hex(reference(response));
      if (ours !== theirs) {
        throw new Error(`case ${i} (TEST_SEED=${seed}) differs:\n${JSON.stringify(response).slice(0, 2000)}`);
      }
    }
  });
});

describe('fallback to protobufjs for anything outside the declared type', () => {
  let spy: jest.SpiedFunction<typeof check.responseSerialize>;
  beforeEach(() => {
    spy = jest.spyOn(check, 'responseSerialize');
  });
  afterEach(() => spy.mockRestore());

  test('a declared shape does not touch protobufjs', () => {
    encodeCheckResponse(toCheckResponse(decision(), 'check-http'));
    expect(spy).not.toHaveBeenCalled();
  });

  test.each([
    [
      'error_response (field 5)',
      { status: { code: 7 }, error_response: { body: 'e' } },
      '0a020807' + '2a031a0165',
    ],
    [
      'ok_response.response_headers_to_add (field 6)',
      { ok_response: { response_headers_to_add: [{ header: { key: 'k', value: 'v' } }] } },
      '1a0a' + '3208' + '0a06' + '0a016b' + '120176',
    ],
    [
      'a decoded Value with its oneof name',
      { dynamic_metadata: { fields: { v: { stringValue: 's', kind: 'stringValue' } } } },
      '220a' + '0a08' + '0a0176' + '1203' + '1a0173',
    ],
    [
      'an HTTP status given by enum name',
      { denied_response: { status: { code: 'Forbidden' } } },
      '12050a03089303',
    ],
    [
      'a base64 raw_value',
      { ok_response: { headers: [{ header: { raw_value: 'AAE=' } }] } },
      '1a08' + '1206' + '0a04' + '1a020001',
    ],
  ])('%s reaches the wire through protobufjs', (_name, response, expected) => {
    const encoded = encodeCheckResponse(response as CheckResponse);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(hex(encoded)).toBe(expected);
  });

  test('an unknown key at any depth falls back; protobufjs decides what to keep', () => {
    const response = { status: { code: 7, details: [] }, dynamic_metadata: { fields: {} }, bogus: 1 };
    expect(encodeCheckResponse(response as CheckResponse)).toEqual(reference(response));
    expect(spy).toHaveBeenCalledTimes(2);
  });

  test('values of the wrong type go through protobufjs conversion or its errors', () => {
    expect(hex(encodeCheckResponse({ status: { message: 42 } } as unknown as CheckResponse))).toBe(
      '0a0412023432',
    );
    expect(() =>
      encodeCheckResponse({ dynamic_metadata: { fields: { v: null } } } as unknown as CheckResponse),
    ).toThrow(TypeError);
    expect(() => encodeCheckResponse('nope' as unknown as CheckResponse)).toThrow(TypeError);
  });
});

describe('wired into the gRPC server', () => {
  const AuthzClient = grpc.makeGenericClientConstructor(authorizationServiceDefinition, 'Authorization');
  let answer: unknown = {};
  let service: GrpcServer;
  let client: InstanceType<typeof AuthzClient>;
  let spy: jest.SpiedFunction<typeof check.responseSerialize>;

  beforeAll(async () => {
    // Installed before the server copies the definition: if Check still used protobufjs's
    // serializer directly, every call would land here.
    spy = jest.spyOn(check, 'responseSerialize');
    service = createGrpcServer({
      authz: (_call, callback) => callback(null, answer as CheckResponse),
      health: createHealthService({ serving: true }),
    });
    const port = await service.listen('127.0.0.1', 0);
    client = new AuthzClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await service.shutdown(500);
    spy.mockRestore();
  });

  const call = (): Promise<CheckResponse> =>
    new Promise((resolve, reject) =>
      client['Check']!({}, (err: grpc.ServiceError | null, res: CheckResponse) =>
        err ? reject(err) : resolve(res),
      ),
    );

  test('a deny goes out through the hand-written encoder and decodes as sent', async () => {
    spy.mockClear();
    answer = toCheckResponse(
      decision({ response: { status: 407, body: 'auth', headers: { 'proxy-authenticate': 'Basic' } } }),
      'check-http',
    );
    expect(await call()).toEqual({
      status: { code: 7, message: 'api.evil.example is denied by EgressDenyPolicy default/block-evil' },
      denied_response: {
        status: { code: 'ProxyAuthenticationRequired' },
        headers: [
          { header: { key: 'proxy-authenticate', value: 'Basic' }, append: { value: false } },
          { header: { key: 'x-portcullis-decision-id', value: 'dec-1' }, append: { value: false } },
        ],
        body: 'auth',
      },
      dynamic_metadata: {
        fields: {
          decision_id: { stringValue: 'dec-1', kind: 'stringValue' },
          verdict: { stringValue: 'deny', kind: 'stringValue' },
          reason_code: { stringValue: 'deny_policy', kind: 'stringValue' },
          enforced: { boolValue: true, kind: 'boolValue' },
          snapshot_version: { numberValue: 3, kind: 'numberValue' },
          rule: { stringValue: 'rules[0].matches[0]', kind: 'stringValue' },
          policy: { stringValue: 'EgressDenyPolicy/default/block-evil', kind: 'stringValue' },
        },
      },
      http_response: 'denied_response',
    });
    expect(spy).not.toHaveBeenCalled();
  });

  test('an undeclared field still reaches the client through the fallback', async () => {
    spy.mockClear();
    answer = { status: { code: 7 }, error_response: { body: 'e' } };
    expect(await call()).toEqual({
      status: { code: 7 },
      error_response: { body: 'e' },
      http_response: 'error_response',
    });
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
