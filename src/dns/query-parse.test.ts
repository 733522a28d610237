import * as dnsPacket from 'dns-packet';
import { parseQuery } from './query-parse';
import { ednsOpt, query } from '../../test/support/dns-upstream';

const MAX = 4096;

function withCounts(message: Buffer, qd: number): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16BE(qd, 4);
  return copy;
}

describe('parseQuery', () => {
  it('reads the question and the OPT record', () => {
    const message = query('Api.Example.COM', 'AAAA', {
      additionals: [ednsOpt(1400, { dnssecOk: true })],
    });
    const parsed = parseQuery(message, MAX);
    expect(parsed).toMatchObject({
      kind: 'query',
      id: 0x4242,
      name: 'Api.Example.COM',
      qtype: 28,
      qclass: 1,
    });
    if (parsed.kind !== 'query') throw new Error('not a query');
    expect(parsed.opt).toMatchObject({ udpPayloadSize: 1400, dnssecOk: true });
    expect(parsed.opt!.bytes.length).toBe(11);
  });

  it('reads a small advertised size as 512', () => {
    const message = query('a.example.com', 'A', {
      additionals: [ednsOpt(100)],
    });
    expect(parseQuery(message, MAX)).toMatchObject({ opt: { udpPayloadSize: 512 } });
  });

  it('gives no name for labels that are not plain host-name text', () => {
    const dotted = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from([
        8,
        ...Buffer.from('evil.com'),
        7,
        ...Buffer.from('allowed'),
        3,
        ...Buffer.from('com'),
        0,
        0,
        1,
        0,
        1,
      ]),
    ]);
    expect(parseQuery(dotted, MAX)).toMatchObject({ kind: 'query', name: undefined });
    const binary = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from([2, 0xc3, 0xa9, 0, 0, 1, 0, 1]),
    ]);
    expect(parseQuery(binary, MAX)).toMatchObject({ kind: 'query', name: undefined });
  });

  it.each([
    ['an empty packet', Buffer.alloc(0)],
    ['a short header', Buffer.alloc(11)],
    [
      'a response',
      dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'a.example.com' }] }),
    ],
  ])('drops %s', (_name, message) => {
    expect(parseQuery(message, MAX)).toEqual({ kind: 'drop' });
  });

  const twoOpts = query('a.example.com', 'A', {
    additionals: [ednsOpt(1232), ednsOpt(1232)],
  });
  it.each([
    ['no question', withCounts(query('a.example.com'), 0)],
    [
      'two questions',
      dnsPacket.encode({
        id: 0x4242,
        questions: [
          { type: 'A', name: 'a.example.com' },
          { type: 'A', name: 'b.example.com' },
        ],
      }),
    ],
    ['a question count the packet cannot hold', withCounts(query('a.example.com'), 2)],
    ['a cut-off question', query('a.example.com').subarray(0, 20)],
    ['two OPT records', twoOpts],
    [
      'a query over the size limit',
      query('a.example.com', 'A', { additionals: [ednsOpt(1232, { paddingBytes: 5000 })] }),
    ],
  ])('answers FORMERR to %s', (_name, message) => {
    expect(parseQuery(message, MAX)).toMatchObject({ kind: 'formerr', id: message.readUInt16BE(0) });
  });
});
