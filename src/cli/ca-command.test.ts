import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

import { testTempDir } from '../../test/support/temp-dirs';
import { caCommand, CA_HELP } from './ca-command';
import { formatCommandHelp } from './command-help';
import { main } from './main';
import { loadCaFiles } from '../tls/ca-files';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['ca', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('portcullis ca init', () => {
  it('writes a CA that loads, and says where it is and how agents trust it', async () => {
    const dir = join(testTempDir('ca-cmd'), 'ca');
    const r = await run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const cert = join(dir, 'ca.crt');
    const key = join(dir, 'ca.key');
    expect(r.out).toContain(`certificate  ${cert}`);
    expect(r.out).toContain(`key          ${key}`);
    expect(r.out).toContain(`--tls-ca-cert ${cert} --tls-ca-key ${key}`);
    for (const hint of [
      'update-ca-certificates',
      'NODE_EXTRA_CA_CERTS=',
      'REQUESTS_CA_BUNDLE=',
      'SSL_CERT_FILE=',
    ]) {
      expect(r.out).toContain(hint);
    }
    expect(r.out).toMatch(/^created Portcullis interception CA \(.+, \d{4}-\d\d-\d\d\), valid until \d{4}-/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(readFileSync(cert)).ca).toBe(true);
    await expect(loadCaFiles({ certificateFile: cert, keyFile: key })).resolves.toBeDefined();
    // The key itself is never printed.
    const keyBody = readFileSync(key, 'utf8').split('\n')[1]!;
    expect(r.out).not.toContain(keyBody);
  });

  it('exits 1 and keeps the existing CA when DIR already has one', async () => {
    const dir = testTempDir('ca-cmd');
    expect((await run(['init', dir])).code).toBe(0);
    const before = statSync(join(dir, 'ca.key')).mtimeMs;
    const again = await run(['init', dir]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^portcullis ca: .*ca\.crt already exists; a CA is never overwritten/);
    expect(statSync(join(dir, 'ca.key')).mtimeMs).toBe(before);
  });

  it.each<[string[], RegExp]>([
    [[], /say what to do: ca init DIR/],
    [['init'], /name the directory/],
    [['renew', '/tmp/x'], /unknown ca action "renew"/],
    [['init', '--force'], /unknown option --force/],
    [['init', 'a', 'b'], /takes one directory/],
  ])('exits 2 with the usage line for %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('usage: portcullis ca init DIR');
  });

  it('has help in the shape of the other commands', async () => {
    const help = formatCommandHelp(CA_HELP);
    expect(help).toMatch(/^usage: portcullis ca init DIR\n\n/);
    expect(help).toContain('arguments:\n  DIR');
    expect((await run(['--help'])).out).toBe(help);
  });

  it('can be called directly', async () => {
    const out: string[] = [];
    const code = await caCommand(['init', join(testTempDir('ca-cmd'), 'x')], {
      out: (l) => out.push(l),
      err: () => undefined,
    });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
  });
});
