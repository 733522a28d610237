/**
 * End to end through a real Envoy that ends the agent's TLS: envoy/tls-terminate.yaml in a
 * container, Portcullis on the host as the CLI runs it (with a CA made by `portcullis ca init`), an
 * HTTPS server on the host with a certificate from a second, unrelated test CA, and the test itself
 * as the agent, speaking CONNECT and TLS to Envoy's published port so it controls the CONNECT
 * authority, the SNI and the Host separately.
 *
 *   this test ──CONNECT──▶ Envoy ──ext_authz──▶ Portcullis (host)
 *        └──TLS (SNI)──▶ internal listener ──SDS (cert for the SNI), ext_proc──▶ Portcullis
 *                                   │ dynamic forward proxy, TLS verified against the upstream CA
 *                                   ▼
 *                         upstream HTTPS server (host)
 *
 * The agent trusts only Portcullis's CA, so a completed handshake proves Envoy intercepted it (the
 * upstream's certificate would not verify), and the upstream counts what reaches it.
 *
 * Needs a container engine (see docker-probe.js) and `npm run build` (run here if dist/ is missing).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { StartedTestContainer } from 'testcontainers';
import { generateCa, loadCa } from '../../src/tls/ca';
import { createCertificateMinter } from '../../src/tls/minter';
import { testDataDir } from '../support/temp-dirs';
import { HOST_ALIAS } from './envoy-config-for-test';
import { tlsTerminateConfigForTest } from './tls-terminate-config-for-test';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** Keep in step with compose/docker-compose.yml. */
const ENVOY_IMAGE = 'envoyproxy/envoy:v1.40.0';
/**
 * The CONNECT to it passes (http-out), a certificate is issued for it (allowed on https-out, port
 * 443), and the decrypted request, for the test's port, is denied by a deny policy.
 */
const DENIED_INSIDE = 'inside-denied.e2e.test';
const DENY_MESSAGE = 'e2e: denied after decryption';
const DENY_HEADER = 'x-portcullis-reason';
const NEVER_ALLOWED = 'never-allowed.e2e.test';
const UPSTREAM_BODY = 'hello from the e2e https upstream';
const STEP_TIMEOUT_MS = 15_000;

const dockerState =
  process.env.PORTCULLIS_E2E_DOCKER ?? 'the docker probe did not run (jest globalSetup missing)';
const hasDocker = dockerState === '1';
if (!hasDocker) console.warn(`[e2e] tls-terminate suite skipped: ${dockerState}`);
const describeWithDocker = hasDocker ? describe : describe.skip;
const suiteTitle = hasDocker
  ? 'TLS-terminating proxy through a real Envoy'
  : `TLS-terminating proxy through a real Envoy (skipped: ${dockerState})`;

function testPolicy(upstreamPort: number): string {
  return `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  defaultPolicy: deny-all
  listeners:
    - { name: http-out, protocol: HTTP }
    - { name: https-out, protocol: HTTPS, tls: { mode: Terminate } }
    - { name: tls-out, protocol: TLS, tls: { mode: Passthrough } }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: e2e-upstream }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [${HOST_ALIAS}]
          ports: [{ port: ${upstreamPort} }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: tunnel-only }
spec:
  parentRefs: [{ name: agents, sectionName: http-out }]
  rules:
    - matches:
        - destinationHostnames: [${DENIED_INSIDE}]
          ports: [{ port: ${upstreamPort} }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: certificate-only }
spec:
  parentRefs: [{ name: agents, sectionName: https-out }]
  rules:
    - matches:
        - destinationHostnames: [${DENIED_INSIDE}]
          ports: [{ port: 443 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: decrypted }
spec:
  parentRefs: [{ name: agents, sectionName: https-out }]
  rules:
    - matches:
        - destinationHostnames: [${DENIED_INSIDE}]
          ports: [{ port: ${upstreamPort} }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: deny-decrypted }
spec:
  targetRef: { kind: EgressL4Route, name: decrypted }
  denyResponse:
    statusCode: 403
    message: '${DENY_MESSAGE}'
    headers: { ${DENY_HEADER}: e2e-inside }
`;
}

function createTail(limit = 200): { push: (chunk: Buffer | string) => void; text: () => string } {
  const lines: string[] = [];
  return {
    push(chunk) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      if (lines.length > limit) lines.splice(0, lines.length - limit);
    },
    text: () => lines.join('\n'),
  };
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '0.0.0.0', done);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((done) => setTimeout(done, ms));
}

class GiveUp extends Error {}

async function waitFor(
  what: string,
  timeoutMs: number,
  ready: () => Promise<boolean>,
  explain: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = await ready().catch((error: unknown) => {
      if (error instanceof GiveUp)
        throw new Error(`${error.message} while waiting for ${what}\n${explain()}`);
      return false;
    });
    if (done) return;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

interface Tunnel {
  readonly status: number;
  /** The raw tunnel when the proxy answered 2xx. */
  readonly socket?: Socket;
}

interface HttpAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** The certificate Envoy presented, and the HTTP exchange over it (when the handshake completed). */
interface Intercepted {
  readonly certificate: PeerCertificate;
  readonly answer: HttpAnswer;
}

describeWithDocker(suiteTitle, () => {
  let tmp: string | undefined;
  let upstream: Server | undefined;
  let portcullis: ChildProcess | undefined;
  let envoy: StartedTestContainer | undefined;
  let portcullisCaPem = '';
  let proxyHost = '127.0.0.1';
  let proxyPort = 0;
  const portcullisLog = createTail();
  const envoyLog = createTail();
  /** Host header and SNI of every request that reached the upstream server. */
  const hits: { host: string; sni: string }[] = [];
  let upstreamPort = 0;

  const diagnostics = (): string =>
    `--- portcullis ---\n${portcullisLog.text()}\n--- envoy ---\n${envoyLog.text()}`;

  /** CONNECT authority through Envoy's forward-proxy port. */
  function openTunnel(authority: string): Promise<Tunnel> {
    return new Promise((done, fail) => {
      const req = httpRequest({
        host: proxyHost,
        port: proxyPort,
        method: 'CONNECT',
        path: authority,
        headers: { host: authority },
        timeout: STEP_TIMEOUT_MS,
      });
      req.once('connect', (res, socket) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) done({ status, socket });
        else {
          socket.destroy();
          done({ status });
        }
      });
      req.once('response', (res) => {
        res.resume();
        done({ status: res.statusCode ?? 0 });
      });
      req.once('timeout', () => req.destroy(new Error(`CONNECT ${authority} timed out\n${diagnostics()}`)));
      req.once('error', fail);
      req.end();
    });
  }

  /** TLS over the tunnel with this SNI, trusting only Portcullis's CA. */
  function handshake(socket: Socket, servername: string): Promise<TLSSocket> {
    return new Promise((done, fail) => {
      const tls = tlsConnect({ socket, servername, ca: [portcullisCaPem], ALPNProtocols: ['http/1.1'] });
      const timer = setTimeout(() => {
        tls.destroy();
        fail(new Error(`TLS handshake for ${servername} timed out`));
      }, STEP_TIMEOUT_MS);
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        done(tls);
      });
      tls.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
      tls.once('close', () => {
        clearTimeout(timer);
        fail(new Error(`the connection closed during the TLS handshake for ${servername}`));
      });
    });
  }

  /** One HTTP/1.1 request, `Connection: close`, read to the end. */
  function exchange(tls: TLSSocket, host: string, path: string): Promise<HttpAnswer> {
    return new Promise((done, fail) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        tls.destroy();
        fail(new Error(`no complete answer to GET ${path} (Host ${host})\n${diagnostics()}`));
      }, STEP_TIMEOUT_MS);
      tls.on('data', (chunk: Buffer) => chunks.push(chunk));
      tls.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
      tls.once('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const split = text.indexOf('\r\n\r\n');
        const head = split < 0 ? text : text.slice(0, split);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN);
        done({ status, head, body: split < 0 ? '' : text.slice(split + 4) });
      });
      tls.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
  }

  /** CONNECT `authority`, TLS with `sni`, then GET `path` with `host`. */
  async function throughEnvoy(
    authority: string,
    sni: string,
    host: string,
    path: string,
  ): Promise<Intercepted> {
    const tunnel = await openTunnel(authority);
    if (!tunnel.socket)
      throw new Error(`CONNECT ${authority} was answered ${tunnel.status}\n${diagnostics()}`);
    const tls = await handshake(tunnel.socket, sni);
    try {
      const certificate = tls.getPeerCertificate();
      return { certificate, answer: await exchange(tls, host, path) };
    } finally {
      tls.destroy();
    }
  }

  beforeAll(async () => {
    const tc = await import('testcontainers');

    if (!existsSync(CLI)) {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'prepare.js')], {
        cwd: ROOT,
        stdio: 'inherit',
        timeout: 300_000,
      });
    }
    tmp = mkdtempSync(join(tmpdir(), 'portcullis-e2e-tls-'));

    // The upstream's own CA, which only Envoy trusts: an agent that could verify the upstream's
    // certificate was not intercepted.
    const upstreamCa = await generateCa({ hostname: 'e2e-upstream' });
    const minter = await createCertificateMinter({
      ca: await loadCa({
        certificatePem: upstreamCa.certificatePem,
        privateKeyPem: upstreamCa.privateKeyPem,
        certificateSource: 'e2e upstream CA',
        keySource: 'e2e upstream CA key',
      }),
    });
    const upstreamLeaf = await minter.mint(HOST_ALIAS);
    upstream = createHttpsServer(
      { cert: upstreamLeaf.certificateChainPem, key: upstreamLeaf.privateKeyPem },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        hits.push({ host: req.headers.host ?? '', sni: socket.servername || '' });
        res.writeHead(200, { 'content-type': 'text/plain' }).end(UPSTREAM_BODY);
      },
    );
    await new Promise<void>((done) => upstream?.listen(0, done));
    upstreamPort = (upstream.address() as AddressInfo).port;

    // Portcullis's CA, made the way an operator makes it.
    const caDir = join(tmp, 'ca');
    execFileSync(process.execPath, [CLI, 'ca', 'init', caDir], { cwd: ROOT, timeout: 30_000 });
    portcullisCaPem = readFileSync(join(caDir, 'ca.crt'), 'utf8');

    const grpcPort = await freePort();
    const policyDir = join(tmp, 'policy');
    mkdirSync(policyDir);
    writeFileSync(join(policyDir, 'policy.yaml'), testPolicy(upstreamPort));
    const child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--policy',
        policyDir,
        '--grpc-port',
        String(grpcPort),
        '--grpc-address',
        '0.0.0.0',
        '--admin-port',
        '0',
        '--tls-ca-cert',
        join(caDir, 'ca.crt'),
        '--tls-ca-key',
        join(caDir, 'ca.key'),
        '--data-dir',
        testDataDir(),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    portcullis = child;
    child.stdout?.on('data', portcullisLog.push);
    child.stderr?.on('data', portcullisLog.push);
    await waitFor(
      `Portcullis to listen on ${grpcPort}`,
      20_000,
      async () => {
        if (child.exitCode !== null) throw new GiveUp(`Portcullis exited with code ${child.exitCode}`);
        return canConnect(grpcPort);
      },
      diagnostics,
    );

    await tc.TestContainers.exposeHostPorts(grpcPort, upstreamPort);
    envoy = await new tc.GenericContainer(ENVOY_IMAGE)
      .withCopyContentToContainer([
        {
          content: tlsTerminateConfigForTest({ grpcPort, upstreamCaPem: upstreamCa.certificatePem }),
          target: '/etc/envoy/envoy.json',
          mode: 0o644,
        },
      ])
      .withCommand(['-c', '/etc/envoy/envoy.json', '--log-level', 'info'])
      .withExposedPorts(9901, 10000)
      .withLogConsumer((stream) => {
        stream.on('data', envoyLog.push);
      })
      .withWaitStrategy(tc.Wait.forHttp('/ready', 9901).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    proxyHost = envoy.getHost();
    proxyPort = envoy.getMappedPort(10000);

    const clustersUrl = `http://${envoy.getHost()}:${envoy.getMappedPort(9901)}/clusters`;
    await waitFor(
      'Envoy to see Portcullis healthy',
      30_000,
      async () => {
        const response = await fetch(clustersUrl, { signal: AbortSignal.timeout(2000) });
        const text = await response.text();
        return /^portcullis::[^\n]*::health_flags::healthy$/m.test(text);
      },
      diagnostics,
    );
  }, 300_000);

  afterAll(async () => {
    await envoy?.stop({ timeout: 2000 }).catch(() => undefined);
    const child = portcullis;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    if (upstream) {
      upstream.closeAllConnections();
      await new Promise<void>((done) => upstream?.close(() => done()));
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  const upstreamAuthority = (): string => `${HOST_ALIAS}:${upstreamPort}`;

  test('an allowed HTTPS request is intercepted with a certificate from the CA and reaches the upstream', async () => {
    const before = hits.length;
    const { certificate, answer } = await throughEnvoy(
      upstreamAuthority(),
      HOST_ALIAS,
      upstreamAuthority(),
      '/allowed',
    );
    // Verified against Portcullis's CA alone (the handshake would have failed otherwise); the leaf
    // names the SNI and is not the upstream's.
    expect(certificate.issuer.CN).toMatch(/^Portcullis interception CA/);
    expect(certificate.subjectaltname).toBe(`DNS:${HOST_ALIAS}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(UPSTREAM_BODY);
    expect(hits.slice(before)).toEqual([{ host: upstreamAuthority(), sni: HOST_ALIAS }]);
  });

  test('a request denied after decryption gets the policy 403 inside TLS and never reaches the upstream', async () => {
    const before = hits.length;
    const authority = `${DENIED_INSIDE}:${upstreamPort}`;
    const { answer } = await throughEnvoy(authority, DENIED_INSIDE, authority, '/secret');
    expect(answer.status).toBe(403);
    expect(answer.body).toContain(DENY_MESSAGE);
    expect(answer.head).toMatch(new RegExp(`^${DENY_HEADER}: e2e-inside\\r?$`, 'im'));
    expect(answer.head).toMatch(/^x-portcullis-decision-id: \S+/im);
    expect(hits.length).toBe(before);
  });

  test('a Host that is not the SNI is denied host_sni_mismatch', async () => {
    const before = hits.length;
    const { answer } = await throughEnvoy(
      upstreamAuthority(),
      HOST_ALIAS,
      `${DENIED_INSIDE}:${upstreamPort}`,
      '/fronted',
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('host_sni_mismatch');
    expect(hits.length).toBe(before);
  });

  test('a never-allowed SNI gets no certificate: the handshake fails', async () => {
    const before = hits.length;
    // The CONNECT is allowed; only the name inside the ClientHello is not.
    const tunnel = await openTunnel(upstreamAuthority());
    expect(tunnel.status).toBe(200);
    if (!tunnel.socket) throw new Error('no tunnel');
    await expect(handshake(tunnel.socket, NEVER_ALLOWED)).rejects.toThrow();
    tunnel.socket.destroy();
    expect(hits.length).toBe(before);
  });
});
