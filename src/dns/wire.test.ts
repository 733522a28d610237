import * as dnsPacket from 'dns-packet';
import { ednsOpt } from '../../test/support/dns-upstream';
import { frameMessage, sameQuestion, skipName, typeName } from './wire';

const response = dnsPacket.encode({
  id: 7,
  type: 'response',
  questions: [{ type: 'A', name: 'www.example.com' }],
  answers: [
    { type: 'CNAME', name: 'www.example.com', ttl: 30, data: 'edge.example.net' },
    { type: 'A', name: 'edge.example.net', ttl: 60, data: '192.0.2.1' },
  ],
  additionals: [ednsOpt(1232)],
});

/** A minimal response with one A record whose RDLENGTH is `rdlength`, followed by `rdlength` bytes. */
function aRecordWithLength(rdlength: number): Buffer {
  const head = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]);
  const rr = Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 60, rdlength >> 8, rdlength & 255]);
  return Buffer.concat([head, rr, Buffer.alloc(rdlength, 9)]);
}

describe('frameMessage', () => {
  it('frames the question and every record', () => {
    const frame = frameMessage(response);
    expect(frame).toBeDefined();
    expect(frame!.header).toMatchObject({ id: 7, qdcount: 1, ancount: 2, arcount: 1 });
    expect(frame!.records.map((r) => [r.section, r.type, r.ttl])).toEqual([
      ['answer', 5, 30],
      ['answer', 1, 60],
      ['additional', 41, 0],
    ]);
    expect(frame!.records[2]!.end).toBe(response.length);
  });

  it.each([
    ['a short header', Buffer.alloc(11)],
    ['a cut-off record', response.subarray(0, response.length - 3)],
    ['bytes after the last record', Buffer.concat([response, Buffer.from([0])])],
    [
      'counts no packet of this size could hold',
      Buffer.from([0, 1, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0]),
    ],
    ['an A record with RDLENGTH 8', aRecordWithLength(8)],
    ['an A record with RDLENGTH 0', aRecordWithLength(0)],
  ])('rejects %s', (_name, buf) => {
    expect(frameMessage(buf)).toBeUndefined();
  });

  it('accepts an A record with RDLENGTH 4', () => {
    expect(frameMessage(aRecordWithLength(4))).toBeDefined();
  });
});

describe('skipName', () => {
  it.each([
    ['root', [0], 1],
    ['labels', [1, 97, 2, 98, 99, 0], 6],
    ['a pointer', [1, 97, 0xc0, 12], 4],
    ['an unassigned label type', [0x40, 0], -1],
    ['a name running off the end', [3, 97, 98], -1],
    [
      'a name over 255 bytes',
      [...Array.from({ length: 5 }, () => [63, ...Array(63).fill(97)]).flat(), 0],
      -1,
    ],
  ])('%s', (_name, bytes, end) => {
    expect(skipName(Buffer.from(bytes as number[]), 0)).toBe(end);
  });
});

describe('sameQuestion', () => {
  const q = (name: string, type: number) => {
    const packet = dnsPacket.encode({ questions: [{ name, type: 'A' }] });
    const question = Buffer.from(packet.subarray(12));
    question.writeUInt16BE(type, question.length - 4);
    return question;
  };
  it('ignores case in the name only', () => {
    expect(sameQuestion(q('WwW.Example.COM', 1), q('www.example.com', 1))).toBe(true);
    expect(sameQuestion(q('www.example.com', 65), q('www.example.com', 97))).toBe(false);
    expect(sameQuestion(q('www.example.com', 1), q('www.example.org', 1))).toBe(false);
  });
});

describe('typeName', () => {
  it.each([
    [1, 'A'],
    [28, 'AAAA'],
    [65, 'HTTPS'],
    [4321, 'TYPE4321'],
  ])('%i is %s', (type, name) => {
    expect(typeName(type)).toBe(name);
  });
});
