/**
 * All-or-nothing startup: when a listener cannot bind, `serve` closes everything it already started
 * (the other ports are free again, nothing keeps the process alive), never reports SERVING, prints
 * one line naming the address and what holds it, and exits 3. The CLI cases spawn the built CLI in
 * dist/, which `npm test` builds first.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { EXIT_LISTEN_FAILED, ListenError } from '../../src/cli/listen-error';
import { startService } from '../../src/cli/serve';
import type { DnsConfig } from '../../src/config/serve-config';
import { createLogger } from '../../src/telemetry/logger';
import { testConfig } from '../support/service';
import { testDataDir } from '../support/temp-dirs';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/src/cli/main.js');
const policies = path.join(root, 'examples/policies');
/** Where the holder is named: /proc is readable for our own processes. */
const heldBy = process.platform === 'linux' ? ` (held by pid ${process.pid}, ` : '';

interface Held {
  readonly port: number;
  close(): Promise<void>;
}

function holdTcp(port = 0): Promise<Held> {
  const server = net.createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    );
  });
}

function holdUdp(port = 0): Promise<Held> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () =>
      resolve({
        port: socket.address().port,
        close: () => new Promise((done) => socket.close(() => done())),
      }),
    );
  });
}

/** Binds and releases at once: true when nothing holds the port. */
async function canBind(hold: (port: number) => Promise<Held>, port: number): Promise<boolean> {
  try {
    await (await hold(port)).close();
    return true;
  } catch {
    return false;
  }
}

/** A port free on both TCP and UDP (DNS binds both); bounded tries. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = await holdTcp();
    const free = await canBind(holdUdp, tcp.port);
    await tcp.close();
    if (free) return tcp.port;
  }
  throw new Error('no port free on both TCP and UDP');
}

function dnsOn(port: number): DnsConfig {
  return {
    address: '127.0.0.1',
    port,
    // Never asked: no query reaches the resolver in these tests.
    upstreams: ['127.0.0.1:9'],
    reject: 'refused',
    minTtlSeconds: 60,
    maxTtlSeconds: 3600,
    proxySources: [],
  };
}

/** The service's log lines, to see what it announced before failing. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; messages: string[] } {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') messages.push(String((JSON.parse(line) as { msg?: unknown }).msg));
      }
      done();
    },
  });
  return { logger: createLogger('info', sink), messages };
}

async function startFailure(start: Promise<unknown>): Promise<ListenError> {
  const outcome = await start.then(
    () => new Error('the service started'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof ListenError)) throw outcome;
  return outcome;
}

describe('startService: all or nothing', () => {
  test('admin port taken: a ListenError, and the gRPC and DNS ports bound before it are free again', async () => {
    const admin = await holdTcp();
    const grpcPort = await freePort();
    const dnsPort = await freePort();
    const { logger, messages } = capturedLogger();
    try {
      const config = testConfig([policies], {
        grpcPort,
        adminPort: admin.port,
        dataDir: testDataDir(),
        dns: dnsOn(dnsPort),
      });
      const err = await startFailure(startService(config, logger));
      expect(err.code).toBe('EADDRINUSE');
      expect(err.exitCode).toBe(EXIT_LISTEN_FAILED);
      expect(err.message).toBe(
        `cannot listen on 127.0.0.1:${admin.port} (admin HTTP): address already in use` +
          (heldBy === '' ? '' : `${heldBy}${err.holder?.command})`),
      );
      expect(await canBind(holdTcp, grpcPort)).toBe(true);
      expect(await canBind(holdUdp, dnsPort)).toBe(true);
      expect(await canBind(holdTcp, dnsPort)).toBe(true);
      // gRPC was bound, but health was never SERVING and the service never announced it.
      expect(messages).toContain('DNS listening (UDP and TCP)');
      expect(messages).not.toContain('gRPC listening (ext_authz Check, health)');
    } finally {
      await admin.close();
    }
  });

  test('DNS TCP port taken: the UDP socket bound just before is released', async () => {
    const dns = await holdTcp();
    try {
      expect(await canBind(holdUdp, dns.port)).toBe(true);
      const config = testConfig([policies], { dataDir: testDataDir(), dns: dnsOn(dns.port) });
      const err = await startFailure(startService(config, createLogger('silent')));
      expect(err.code).toBe('EADDRINUSE');
      expect(err.message).toMatch(
        new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${dns.port} \\(DNS TCP\\): address already in use`),
      );
      expect(await canBind(holdUdp, dns.port)).toBe(true);
    } finally {
      await dns.close();
    }
  });
});

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs `serve` until it exits; the kill timer is a guard against a hang, not a speed assertion. */
function serveUntilExit(args: string[], guardMs = 30_000): Promise<Exit> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--policy', policies, '--data-dir', testDataDir(), ...args],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not exit by itself within ${guardMs} ms; stderr: ${stderr}`));
    }, guardMs);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    });
  });
}

function expectOneLine(exit: Exit, pattern: string): void {
  expect(exit.code).toBe(3);
  const lines = exit.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^portcullis: ${pattern}`));
  if (heldBy !== '') expect(lines[0]).toContain(heldBy);
}

describe('portcullis serve (process): a port in use', () => {
  jest.setTimeout(60_000);

  test('gRPC port taken: exit 3, one line, and the process exits by itself', async () => {
    const grpc = await holdTcp();
    try {
      const exit = await serveUntilExit(['--grpc-port', String(grpc.port), '--admin-port', '0']);
      expectOneLine(exit, `cannot listen on 127\\.0\\.0\\.1:${grpc.port} \\(gRPC\\): address already in use`);
    } finally {
      await grpc.close();
    }
  });

  test('admin port taken: exit 3, one line; the gRPC port is free again', async () => {
    const admin = await holdTcp();
    const grpcPort = await freePort();
    try {
      const exit = await serveUntilExit([
        '--grpc-port',
        String(grpcPort),
        '--admin-port',
        String(admin.port),
      ]);
      expectOneLine(
        exit,
        `cannot listen on 127\\.0\\.0\\.1:${admin.port} \\(admin HTTP\\): address already in use`,
      );
      expect(await canBind(holdTcp, grpcPort)).toBe(true);
    } finally {
      await admin.close();
    }
  });

  test('DNS UDP port taken: exit 3, one line', async () => {
    const dns = await holdUdp();
    try {
      const exit = await serveUntilExit([
        '--grpc-port',
        '0',
        '--admin-port',
        '0',
        '--dns-port',
        String(dns.port),
        '--dns-upstream',
        '127.0.0.1:9',
      ]);
      expectOneLine(
        exit,
        `cannot listen on 127\\.0\\.0\\.1:${dns.port} \\(DNS UDP\\): address already in use`,
      );
    } finally {
      await dns.close();
    }
  });
});
