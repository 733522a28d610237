/** `portcullis check` against local policy files: the target forms it accepts. */
import path from 'node:path';
import { main } from './main';

const examples = path.resolve(__dirname, '../../examples/policies');

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('portcullis check --dest URL (as the admin dry run accepts it)', () => {
  it('a URL is a plain HTTP request to its host, default port from the scheme', async () => {
    const r = await run('check', '--policy', examples, '--dest', 'https://api.anthropic.com/v1/messages');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('ALLOW  api.anthropic.com:443/tcp');
    expect(r.out).toContain('  name:     api.anthropic.com (from host-header)');
  });

  it('a URL on a port no route allows is denied', async () => {
    const r = await run('check', '--policy', examples, '--dest', 'http://api.anthropic.com/', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out[0]!) as Record<string, unknown>;
    expect(json).toMatchObject({ verdict: 'deny', destination: { host: 'api.anthropic.com', port: 80 } });
  });

  it('an unparseable URL is a usage error naming --dest', async () => {
    const r = await run('check', '--policy', examples, '--dest', 'https://exa mple.com/');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^portcullis check: --dest https:\/\/exa mple.com\/ is not a valid URL\n/);
  });

  it('a protocol other than tcp or udp is a usage error', async () => {
    const r = await run('check', '--policy', examples, '--dest', 'a.example:1', '--protocol', 'sctp');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^portcullis check: --protocol must be tcp or udp\n/);
  });
});
