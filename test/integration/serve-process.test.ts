/**
 * `portcullis serve` as a real process (the built CLI in dist/, which `npm test` builds first):
 * a first load that fails exits non-zero with every problem listed; SIGTERM drains and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { connectAsEnvoy, connectRequest } from '../support/envoy-client';
import { testDataDir } from '../support/temp-dirs';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/src/cli/main.js');

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** Each run gets a data directory of its own: the default would be the repository's `.portcullis-data`. */
function runCli(args: string[]): Run {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, PORTCULLIS_DATA_DIR: testDataDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** Waits (bounded) for the log line announcing the gRPC port. */
async function grpcPortOf(run: Run, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const line of run.stdout().split('\n')) {
      if (line.includes('gRPC listening')) return JSON.parse(line).port as number;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no gRPC port announced; stdout: ${run.stdout()} stderr: ${run.stderr()}`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)),
  ]);
}

describe('portcullis serve (process)', () => {
  it('exits 1 and lists every problem when the first load fails', async () => {
    const run = runCli([
      'serve',
      '--policy',
      path.join(root, 'test/fixtures/policies/invalid/bad-cidr.yaml'),
      '--grpc-port',
      '0',
      '--admin-port=-1',
    ]);
    const code = await withTimeout(run.exited, 15_000, 'exit');
    expect(code).toBe(1);
    expect(run.stderr()).toMatch(
      /bad-cidr\.yaml:\d+: spec\.rules\[0\]\.matches\[0\]\.destinationCIDRs\[0\]: /,
    );
    expect(run.stdout()).not.toContain('gRPC listening');
  });

  it('exits 2 on a usage error', async () => {
    const run = runCli(['serve', '--grpc-port', 'nope']);
    expect(await withTimeout(run.exited, 15_000, 'exit')).toBe(2);
    expect(run.stderr()).toMatch(/--grpc-port: "nope"/);
  });

  it('serves, then drains and exits 0 on SIGTERM', async () => {
    const run = runCli([
      'serve',
      '--policy',
      path.join(root, 'examples/policies'),
      '--grpc-port',
      '0',
      '--admin-port',
      '0',
      '--log-level',
      'info',
    ]);
    try {
      const port = await grpcPortOf(run);
      const envoy = connectAsEnvoy(port);
      try {
        expect(await envoy.health('')).toEqual({ status: 'SERVING' });
        const res = await envoy.check(connectRequest('api.anthropic.com:443'), {
          'x-portcullis-gateway': 'agents',
        });
        expect(res.status?.code ?? 0).toBe(0);
      } finally {
        envoy.close();
      }
      run.child.kill('SIGTERM');
      expect(await withTimeout(run.exited, 15_000, 'drain')).toBe(0);
      expect(run.stdout()).toContain('"signal":"SIGTERM"');
      expect(run.stdout()).toContain('"msg":"stopped"');
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
