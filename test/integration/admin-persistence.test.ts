/**
 * Nothing acknowledged is lost: admin changes survive a restart and a kill -9 right after the 2xx
 * (the built CLI as a real process), concurrent writers cannot interleave into an invalid state,
 * and a name defined both in a file and in the store is reported, never silently resolved.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  httpCaller,
  startAdmin,
  tempDir,
  writePolicyDir,
  writeTokensFile,
  type Caller,
} from '../support/admin-api';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/src/cli/main.js');

describe('restart', () => {
  it('keeps lists, namespaces, firewall policies, tokens and events', async () => {
    const policyDir = writePolicyDir({});
    const dataDir = tempDir('data');
    const first = await startAdmin({ policyDir, dataDir });
    await first.call('POST', '/api/policy/egress/allow', {
      body: { domain: 'api.stripe.com', reason: 'payments' },
    });
    await first.call('POST', '/api/fleet/namespaces', {
      body: { name: 'prod', allowed_domains: ['api.stripe.com'] },
    });
    await first.call('POST', '/api/workspace/firewall/policies', {
      body: { name: 'kept', default_verdict: 'deny' },
    });
    const token = (await first.call('POST', '/api/tokens', { body: { name: 'ci', role: 'member' } })).body[
      'token'
    ];
    const version = first.service.store.status().version;
    await first.close();

    const second = await startAdmin({ policyDir, dataDir });
    try {
      expect((await second.call('GET', '/api/policy/egress')).body['allowed']).toEqual([
        expect.objectContaining({ domain: 'api.stripe.com', reason: 'payments' }),
      ]);
      expect((await second.call('GET', '/api/fleet/namespaces/prod')).body['allowed_domains']).toEqual([
        'api.stripe.com',
      ]);
      expect((await second.call('GET', '/api/workspace/firewall/policies/kept')).status).toBe(200);
      expect((await second.call('GET', '/api/policy/egress', { token: token as string })).status).toBe(200);
      const events = (await second.call('GET', '/api/events')).body['events'] as { type: string }[];
      expect(events.map((e) => e.type)).toEqual(
        expect.arrayContaining([
          'policy_allow',
          'namespace_created',
          'firewall_policy_created',
          'token_created',
        ]),
      );
      expect(second.service.store.status().version).toBe(1);
      expect(version).toBeGreaterThan(1);
    } finally {
      await second.close();
    }
  });
});

interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  stdout(): string;
}

/** Waits for `p`, at most `ms`; the timer never outlives the wait. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function serveProcess(policyDir: string, dataDir: string, tokens: string): Proc {
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--policy',
      policyDir,
      '--grpc-port',
      '0',
      '--admin-port',
      '0',
      '--data-dir',
      dataDir,
      '--tokens',
      tokens,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, exited, stdout: () => out };
}

async function adminOf(proc: Proc, ms = 15_000): Promise<Caller> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const line of proc.stdout().split('\n')) {
      if (line.includes('admin HTTP listening')) {
        return httpCaller(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no admin port announced: ${proc.stdout()}`);
}

describe('kill -9', () => {
  it('loses no change that was answered 2xx', async () => {
    const policyDir = writePolicyDir({});
    const dataDir = tempDir('data');
    const tokens = writeTokensFile(dataDir);
    const first = serveProcess(policyDir, dataDir, tokens);
    const acknowledged: string[] = [];
    try {
      const call = await adminOf(first);
      let killed = false;
      const writes = Array.from({ length: 40 }, (_, i) => `host-${i}.example`).map(async (domain) => {
        const res = await call('POST', '/api/policy/egress/allow', { body: { domain } }).catch(
          () => undefined,
        );
        if (killed || res === undefined || res.status >= 300) return;
        acknowledged.push(domain);
        if (acknowledged.length === 10) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      });
      await Promise.all(writes);
      await within(first.exited, 10_000);
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(10);

    const second = serveProcess(policyDir, dataDir, tokens);
    try {
      const call = await adminOf(second);
      const allowed = ((await call('GET', '/api/policy/egress')).body['allowed'] as { domain: string }[]).map(
        (r) => r.domain,
      );
      expect(allowed).toEqual(expect.arrayContaining(acknowledged));
    } finally {
      second.child.kill('SIGKILL');
      await within(second.exited, 10_000);
    }
  });
});

describe('concurrent writers', () => {
  it('apply every accepted change exactly once', async () => {
    const h = await startAdmin({ policyDir: writePolicyDir({}) });
    try {
      const domains = Array.from({ length: 50 }, (_, i) => `parallel-${i}.example`);
      const answers = await Promise.all(
        domains.map((domain) =>
          h.call('POST', '/api/policy/egress/allow', { as: 'developer', body: { domain } }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(domains.map(() => 201));
      const allowed = (
        (await h.call('GET', '/api/policy/egress')).body['allowed'] as { domain: string }[]
      ).map((r) => r.domain);
      expect([...allowed].sort()).toEqual([...domains].sort());
    } finally {
      await h.close();
    }
  });

  it('cannot interleave a parent narrowing and a child widening into a broken tree', async () => {
    const h = await startAdmin({ policyDir: writePolicyDir({}) });
    try {
      await h.call('POST', '/api/fleet/namespaces', {
        body: { name: 'prod', allowed_domains: ['a.example', 'b.example'] },
      });
      const requests = Array.from({ length: 30 }, (_, i) => {
        switch (i % 3) {
          case 0:
            return h.call('PATCH', '/api/fleet/namespaces/prod', {
              body: { allowed_domains: ['a.example'] },
            });
          case 1:
            return h.call('PATCH', '/api/fleet/namespaces/prod', {
              body: { allowed_domains: ['a.example', 'b.example'] },
            });
          default:
            return h.call('POST', '/api/fleet/namespaces', {
              body: { name: `prod/team-${i}`, allowed_domains: ['b.example'] },
            });
        }
      });
      const statuses = (await Promise.all(requests)).map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 201 || s === 409)).toBe(true);
      const list = (await h.call('GET', '/api/fleet/namespaces')).body['namespaces'] as {
        name: string;
        allowed_domains: string[];
      }[];
      const prod = list.find((n) => n.name === 'prod')!;
      for (const child of list.filter((n) => n.name.startsWith('prod/'))) {
        for (const d of child.allowed_domains)
          expect([child.name, prod.allowed_domains]).toEqual([child.name, expect.arrayContaining([d])]);
      }
      expect(h.service.store.status().warnings).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe('files and store together', () => {
  it('reports a name defined in both, naming both places, and keeps the last good snapshot', async () => {
    const policyDir = writePolicyDir({});
    const h = await startAdmin({ policyDir });
    try {
      await h.call('POST', '/api/workspace/firewall/policies', { body: { name: 'shared' } });
      const kept = h.service.store.status().version;
      const file = path.join(policyDir, 'shared.yaml');
      writeFileSync(
        file,
        'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: shared }\nspec: {}\n',
      );
      const result = await h.service.store.reload();
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.keptVersion).toBe(kept);
      expect(result.issues).toEqual([
        expect.objectContaining({
          code: 'POLICY_DUPLICATE_NAME',
          file: 'admin:EgressFirewallPolicy/shared',
          message: expect.stringContaining(`${file}:1`) as unknown,
        }),
      ]);
      const status = await h.call('GET', '/api/status', { as: 'member' });
      expect(status.body['problems']).toEqual([
        expect.objectContaining({ resource: 'admin:EgressFirewallPolicy/shared', errors: 1 }),
      ]);
      const refused = await h.call('POST', '/api/policy/egress/allow', { body: { domain: 'x.example' } });
      expect([refused.status, refused.body['error']]).toEqual([422, 'invalid_policy']);
    } finally {
      await h.close();
    }
  });

  it('refuses to edit through the API what a file defines', async () => {
    const h = await startAdmin({
      policyDir: writePolicyDir({
        'ns.yaml':
          'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressNamespace\nmetadata: { name: prod }\nspec: { allowedDomains: [a.example] }\n',
      }),
    });
    try {
      const res = await h.call('POST', '/api/fleet/namespaces', {
        body: { name: 'prod', allowed_domains: [] },
      });
      expect([res.status, res.body['error']]).toEqual([409, 'defined_in_file']);
      const child = await h.call('POST', '/api/fleet/namespaces', {
        body: { name: 'prod/x', allowed_domains: ['b.example'] },
      });
      expect([child.status, child.body['error'], child.body['ancestor']]).toEqual([
        409,
        'child_widens_parent',
        'prod',
      ]);
      const listed = (await h.call('GET', '/api/fleet/namespaces')).body['namespaces'] as Record<
        string,
        unknown
      >[];
      expect(listed).toEqual([expect.objectContaining({ name: 'prod', source: 'file' })]);
    } finally {
      await h.close();
    }
  });
});
