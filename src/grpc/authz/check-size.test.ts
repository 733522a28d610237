import type { CheckRequest } from '../protos';
import { authorizationServiceDefinition } from '../protos';
import {
  MAX_CHECK_REQUEST_BYTES,
  oversizeMessage,
  oversizeOf,
  oversizedCheckRequest,
  surfaceOfEncoded,
} from './check-size';

const encode = (request: CheckRequest): Buffer =>
  authorizationServiceDefinition.Check!.requestSerialize(request);

const http: CheckRequest = {
  attributes: {
    source: { address: { socket_address: { address: '10.1.2.3', port_value: 40000 } } },
    destination: { address: { socket_address: { address: '10.0.0.10', port_value: 3128 } } },
    request: { http: { method: 'CONNECT', host: 'api.openai.com:443', headers: { 'x-a': 'b' } } },
    context_extensions: { gateway: 'egress' },
  },
};
const l4: CheckRequest = {
  attributes: {
    source: { address: { socket_address: { address: '10.1.2.3', port_value: 40000 } } },
    destination: {
      address: { socket_address: { address: '104.18.33.45', port_value: 443 } },
      service: 'api.github.com',
    },
    tls_session: { sni: 'api.github.com' },
  },
};

describe('surfaceOfEncoded', () => {
  test('attributes.request present: the HTTP filter', () => {
    expect(surfaceOfEncoded(encode(http))).toBe('check-http');
  });

  test('attributes without request: the network filter', () => {
    expect(surfaceOfEncoded(encode(l4))).toBe('check-l4');
    expect(surfaceOfEncoded(encode({ attributes: {} }))).toBe('check-l4');
    expect(surfaceOfEncoded(encode({}))).toBe('check-l4');
  });

  test('bytes that do not tell: check-http (its 403 is ignored by the network filter)', () => {
    expect(surfaceOfEncoded(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toBe('check-http');
    expect(surfaceOfEncoded(Buffer.from([0x0b]))).toBe('check-http'); // a group
    expect(surfaceOfEncoded(encode(l4).subarray(0, 20))).toBe('check-http'); // cut short
  });

  test('a level with more fields than it scans is not taken for the network filter', () => {
    // 100 unknown varint fields (field 15) before attributes.request.
    const filler = Buffer.alloc(200);
    for (let i = 0; i < 100; i++) filler.set([15 << 3, 1], i * 2);
    const request = encode({ attributes: { request: { http: { method: 'GET' } } } }).subarray(2);
    const attributes = Buffer.concat([filler, request]);
    const bytes = Buffer.concat([
      Buffer.from([0x0a, 0x80 | (attributes.length & 0x7f), attributes.length >> 7]),
      attributes,
    ]);
    expect(authorizationServiceDefinition.Check!.requestDeserialize(bytes)).toMatchObject({
      attributes: { request: { http: { method: 'GET' } } },
    });
    expect(surfaceOfEncoded(bytes)).toBe('check-http');
  });
});

describe('the oversized marker', () => {
  test('carries the size and surface, and is otherwise an empty CheckRequest', () => {
    const bytes = encode(l4);
    const marker = oversizedCheckRequest(bytes);
    expect(oversizeOf(marker)).toStrictEqual({ bytes: bytes.length, surface: 'check-l4' });
    expect(Object.keys(marker)).toStrictEqual([]);
    expect(marker.attributes).toBeUndefined();
    expect(oversizeOf(http)).toBeUndefined();
    expect(oversizeOf({})).toBeUndefined();
  });

  test('the message names the size and the bound', () => {
    expect(MAX_CHECK_REQUEST_BYTES).toBe(64 * 1024 * 1024);
    expect(oversizeMessage({ bytes: 70_000_000, surface: 'check-http' })).toBe(
      'CheckRequest of 70000000 bytes exceeds the 64 MiB bound',
    );
  });
});
