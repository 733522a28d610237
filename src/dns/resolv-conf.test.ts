import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResolvConf, parseUpstream, systemUpstreams } from './resolv-conf';

describe('parseUpstream', () => {
  it.each([
    ['10.0.0.2', '10.0.0.2', 53, 4],
    ['10.0.0.2:5353', '10.0.0.2', 5353, 4],
    [' 127.0.0.1:53 ', '127.0.0.1', 53, 4],
    ['[2001:db8::53]:53', '2001:db8::53', 53, 6],
    ['[::1]', '::1', 53, 6],
    ['2001:db8::1', '2001:db8::1', 53, 6],
    ['[::ffff:10.0.0.1]:53', '10.0.0.1', 53, 4],
  ])('accepts %s', (text, host, port, family) => {
    expect(parseUpstream(text)).toEqual({ ok: true, upstream: { host, port, family } });
  });

  it.each([
    'dns.google:53',
    '10.0.0.2:0',
    '10.0.0.2:65536',
    '10.0.0.2:x',
    '[::1',
    '[::1]x',
    '',
    '0177.0.0.1',
  ])('rejects %j', (text) => {
    expect(parseUpstream(text).ok).toBe(false);
  });
});

describe('parseResolvConf', () => {
  it('reads nameservers in order and skips what is not an address', () => {
    const text = [
      '# generated',
      'search example.com',
      'nameserver 10.0.0.2',
      'nameserver fe80::1%eth0',
      'nameserver   2001:db8::53  # second',
      'nameserver resolver.example.com',
      '; nameserver 10.9.9.9',
      'options ndots:5',
    ].join('\n');
    expect(parseResolvConf(text)).toEqual([
      { host: '10.0.0.2', port: 53, family: 4 },
      { host: '2001:db8::53', port: 53, family: 6 },
    ]);
  });

  it('reads a file, and returns nothing for a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-resolv-'));
    try {
      const path = join(dir, 'resolv.conf');
      writeFileSync(path, 'nameserver 192.0.2.53\n');
      expect(systemUpstreams(path)).toEqual([{ host: '192.0.2.53', port: 53, family: 4 }]);
      expect(systemUpstreams(join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
