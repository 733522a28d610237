/**
 * `portcullis check --server`: the CLI asks the real service (started in-process on loopback, with
 * the shipped example policies) over real gRPC, shaped as Envoy asks, and explains the answer.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import { testConfig } from '../support/service';

const examples = path.resolve(__dirname, '../../examples/policies');

let dataDir: string;
let service: RunningService;
let server: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-check-server-'));
  service = await startService(testConfig([examples], { dataDir }), createLogger('silent'));
  server = `127.0.0.1:${service.grpcPort}`;
});

afterAll(async () => {
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('check --server, CONNECT (the default shape)', () => {
  it('allowed: exit 0, the route that allowed it, the decision id and where the trace is', async () => {
    const r = await run('check', '--server', server, '--dest', 'api.anthropic.com:443');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('ALLOW  api.anthropic.com:443/tcp');
    expect(r.out).toContain('  reason:   route_allowed');
    expect(r.out).toContain('  policy:   EgressL4Route default/anthropic');
    expect(r.out).toContain('  rule:     rules[0].matches[0]');
    expect(r.out).toContain(`  server:   ${server} (asked as HTTP filter, CONNECT)`);
    const id = /^ {2}decision: (\S+) \(snapshot 1\)$/.exec(
      r.out.find((l) => l.startsWith('  decision:'))!,
    )?.[1];
    expect(id).toMatch(new RegExp(`^${UUID}$`));
    expect(r.out.at(-1)).toBe(`(trace: see the decision log / GET /api/events?decision_id=${id})`);
    expect(r.out.some((l) => l.startsWith('  response:'))).toBe(false);
  });

  it('denied by the deny policy: exit 1, its reason, and the 403 Envoy would send', async () => {
    const r = await run('check', '--server', server, '--dest', 'pastebin.com:443');
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe('DENY  pastebin.com:443/tcp');
    expect(r.out[1]).toMatch(/^ {2}reason: {3}deny_policy: \S/);
    expect(r.out).toContain('  policy:   EgressDenyPolicy default/block-paste-sites');
    expect(r.out).toContain(
      '  response: 403 "paste sites are blocked for agents; ask #platform-security if you need one"',
    );
  });

  it('--json: the keys of a local check, null where the answer does not say', async () => {
    const r = await run('check', '--server', server, '--dest', 'pastebin.com:443', '--json');
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(1);
    const json = JSON.parse(r.out[0]!) as Record<string, unknown>;
    expect(json).toMatchObject({
      verdict: 'deny',
      enforced: true,
      reasonCode: 'deny_policy',
      policy: { kind: 'EgressDenyPolicy', namespace: 'default', name: 'block-paste-sites' },
      rule: { label: 'rules[0].matches[0]' },
      response: {
        status: 403,
        body: 'paste sites are blocked for agents; ask #platform-security if you need one',
        headers: { 'x-portcullis-reason': 'paste-site-blocked', 'x-portcullis-decision-id': json['id'] },
      },
      trace: null,
      snapshotVersion: 1,
      server,
      shape: 'connect',
      grpcStatus: 7,
    });
    expect(json['id']).toMatch(new RegExp(`^${UUID}$`));
  });

  it('a local check with the same policy gives the same verdict, reason and policy', async () => {
    const local = await run('check', '--policy', examples, '--dest', 'pastebin.com:443', '--json');
    const remote = await run('check', '--server', server, '--dest', 'pastebin.com:443', '--json');
    const pick = (text: string) => {
      const j = JSON.parse(text) as Record<string, unknown>;
      return [j['verdict'], j['reasonCode'], j['reason'], j['policy'], j['response']];
    };
    expect(local.code).toBe(remote.code);
    const [lv, lc, lr, lp, lres] = pick(local.out[0]!);
    const [rv, rc, rr, rp, rres] = pick(remote.out[0]!);
    expect([rv, rc, rr, rp]).toEqual([lv, lc, lr, lp]);
    expect(rres).toMatchObject({
      status: (lres as { status: number }).status,
      body: (lres as { body: string }).body,
    });
  });
});

describe('check --server, other shapes', () => {
  it('L4 (the network filter): the address dialled decides, here a CIDR route on tcp-out', async () => {
    const allowed = await run(
      'check',
      '--server',
      server,
      '--l4',
      '--dest',
      '10.20.1.5:5432',
      '--listener',
      'tcp-out',
    );
    expect(allowed.code).toBe(0);
    expect(allowed.out[0]).toBe('ALLOW  10.20.1.5:5432/tcp');
    expect(allowed.out).toContain('  policy:   EgressL4Route default/app-postgres');
    expect(allowed.out).toContain(`  server:   ${server} (asked as network filter, L4)`);
    const otherPort = await run(
      'check',
      '--server',
      server,
      '--l4',
      '--dest',
      '10.20.1.5:5433',
      '--listener',
      'tcp-out',
    );
    expect(otherPort.code).toBe(1);
  });

  it('L4 with the SNI of a blocked site: denied, and no HTTP answer (the connection is closed)', async () => {
    const r = await run(
      'check',
      '--server',
      server,
      '--l4',
      '--dest',
      '203.0.113.10:443',
      '--sni',
      'pastebin.com',
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('  policy:   EgressDenyPolicy default/block-paste-sites');
    expect(r.out).toContain('  response: (connection closed: the network filter sends no HTTP answer)');
  });

  it('L4 by name is a usage error: the network filter only sees addresses', async () => {
    const r = await run('check', '--server', server, '--l4', '--dest', 'api.anthropic.com:443');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^portcullis check: --l4 needs --dest IP:PORT/);
  });

  it('a URL is a plain HTTP request: https defaults to port 443', async () => {
    const allowed = await run('check', '--server', server, '--dest', 'https://api.anthropic.com/v1/messages');
    expect(allowed.code).toBe(0);
    expect(allowed.out[0]).toBe('ALLOW  https://api.anthropic.com/v1/messages');
    expect(allowed.out).toContain(`  server:   ${server} (asked as HTTP filter, plain HTTP)`);
    const plainHttp = await run(
      'check',
      '--server',
      server,
      '--dest',
      'http://api.anthropic.com/v1/messages',
    );
    expect(plainHttp.code).toBe(1);
    expect(plainHttp.out[1]).toMatch(/^ {2}reason: {3}gateway_default_deny/);
  });

  it('transparent HTTP: the original destination is judged, not the Host', async () => {
    const asked = ['check', '--server', server, '--transparent', '--listener', 'tcp-out'];
    const allowed = await run(...asked, '--address', '10.20.1.5:5432', '--dest', 'db.internal:5432');
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain(`  server:   ${server} (asked as HTTP filter, transparent)`);
    const metadata = await run(...asked, '--address', '169.254.169.254:5432', '--dest', 'db.internal:5432');
    expect(metadata.code).toBe(1);
    expect(metadata.out[1]).toMatch(/^ {2}reason: {3}ssrf_guard/);
  });

  it('gateway and listener travel as call metadata: an unknown gateway is denied by the server', async () => {
    const r = await run('check', '--server', server, '--dest', 'api.anthropic.com:443', '--gateway', 'nope');
    expect(r.code).toBe(1);
    expect(r.out[1]).toMatch(/^ {2}reason: {3}gateway_unknown/);
  });
});

describe('check --server, no answer', () => {
  it('an unreachable server: exit 3 and one line naming it', async () => {
    const closed = await closedPort();
    const r = await run(
      'check',
      '--server',
      `127.0.0.1:${closed}`,
      '--dest',
      'api.anthropic.com:443',
      '--timeout-ms',
      '2000',
    );
    expect(r.code).toBe(3);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(
      new RegExp(`^portcullis check: server 127\\.0\\.0\\.1:${closed} (unreachable|did not answer in time)`),
    );
    expect(r.err[0]).not.toContain('\n');
  });

  it('flags for a local check are refused with --server', async () => {
    const r = await run('check', '--server', server, '--policy', examples, '--dest', 'a.example:443');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^portcullis check: give --policy .* or --server .*, not both/);
    const label = await run('check', '--server', server, '--label', 'team=x', '--dest', 'a.example:443');
    expect(label.code).toBe(2);
  });

  it('flags for a server check are refused without --server', async () => {
    const r = await run('check', '--policy', examples, '--l4', '--dest', '10.0.0.1:443');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^portcullis check: --l4 goes with --server HOST:PORT/);
  });

  it('a bad --timeout-ms or --server is a usage error', async () => {
    expect(
      (await run('check', '--server', server, '--timeout-ms', '0', '--dest', 'a.example:443')).code,
    ).toBe(2);
    expect((await run('check', '--server', 'localhost', '--dest', 'a.example:443')).code).toBe(2);
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
