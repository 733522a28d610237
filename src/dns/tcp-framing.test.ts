import { createFrameDecoder, lengthPrefixed } from './tcp-framing';

const msg = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('createFrameDecoder', () => {
  it('splits pipelined messages and reassembles split ones', () => {
    const decoder = createFrameDecoder(100);
    const stream = Buffer.concat([
      lengthPrefixed(msg(12, 1)),
      lengthPrefixed(msg(20, 2)),
      lengthPrefixed(msg(30, 3)),
    ]);
    const first = decoder.push(stream.subarray(0, 1));
    expect(first).toEqual([]);
    const second = decoder.push(stream.subarray(1, 40));
    expect(second).toEqual([msg(12, 1), msg(20, 2)]);
    expect(decoder.pending).toBe(40 - 36);
    expect(decoder.push(stream.subarray(40))).toEqual([msg(30, 3)]);
    expect(decoder.pending).toBe(0);
  });

  it.each([
    ['a zero length', Buffer.from([0, 0])],
    ['a length over the limit', Buffer.from([0, 101, 1, 2, 3])],
    ['the largest length', Buffer.from([0xff, 0xff])],
  ])('rejects %s', (_name, bytes) => {
    expect(createFrameDecoder(100).push(bytes)).toBe('invalid');
  });

  it('never holds more than one partial message', () => {
    const decoder = createFrameDecoder(100);
    for (let i = 0; i < 99; i++) expect(decoder.push(Buffer.from(i === 0 ? [0, 100] : [7]))).toEqual([]);
    expect(decoder.pending).toBe(100);
    expect(decoder.push(Buffer.from([7, 7, 7]))).toEqual([msg(100, 7)]);
    expect(decoder.pending).toBe(1);
  });
});
