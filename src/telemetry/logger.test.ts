import { Writable } from 'node:stream';
import { REDACTED, createLogger } from './logger';

const SECRET = 'sk-live-91f0c3aa';

function capture(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

describe('createLogger', () => {
  it.each<[string, Record<string, unknown>]>([
    ['proxyAuthorization', { proxyAuthorization: `Basic ${SECRET}` }],
    ['a nested request', { request: { proxyAuthorization: `Bearer ${SECRET}` } }],
    ['a header map', { headers: { 'proxy-authorization': `Bearer ${SECRET}` } }],
    ['nested headers', { req: { headers: { authorization: `Bearer ${SECRET}` } } }],
    ['a token', { token: SECRET }],
    ['an api key', { apiKey: SECRET }],
    ['a request logged whole', { request: { proxyAuthorization: SECRET, headers: { cookie: SECRET } } }],
    ['a key', { key: SECRET }],
  ])('redacts %s', (_name, fields) => {
    const { logger, lines } = capture();
    logger.info(fields, 'something happened');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain(REDACTED);
  });

  it('writes JSON lines with a textual level and honours the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('quiet');
    logger.warn({ n: 1 }, 'loud');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'loud', n: 1, service: 'portcullis' }),
    ]);
  });
});
