/**
 * The admin API as an operator reaches it: the real service (`startService`) on loopback, called
 * over HTTP with bearer tokens of each role, on a data directory the test owns.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startService, type RunningService } from '../../src/cli/serve';
import type { ServeConfig } from '../../src/config/serve-config';
import { createLogger } from '../../src/telemetry/logger';
import { testTempDir } from './temp-dirs';

export const TOKENS = {
  member: 'member-token-for-tests',
  developer: 'developer-token-for-tests',
  admin: 'admin-token-for-tests',
} as const;

export type TokenRole = keyof typeof TOKENS;

/** A fresh directory inside the run's temporary directory (test/support/temp-dirs.ts). */
export function tempDir(prefix: string): string {
  return testTempDir(prefix);
}

/** A tokens file holding the digests of `TOKENS`, one per role. */
export function writeTokensFile(dir: string): string {
  const file = path.join(dir, 'tokens.yaml');
  const lines = Object.entries(TOKENS).map(
    ([role, token]) =>
      `- { name: ${role}-bot, role: ${role}, sha256: ${createHash('sha256').update(token).digest('hex')} }`,
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A policy directory with the given files (name → YAML). */
export function writePolicyDir(files: Record<string, string>): string {
  const dir = tempDir('policy');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

export interface CallOptions {
  readonly as?: TokenRole | null;
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (JSON.stringify is skipped). */
  readonly raw?: string;
  readonly contentType?: string;
}

export type Caller = (method: string, url: string, options?: CallOptions) => Promise<HttpAnswer>;

export function httpCaller(base: string): Caller {
  return async (method, url, options = {}) => {
    const headers: Record<string, string> = {};
    const token = options.token ?? (options.as === null ? undefined : TOKENS[options.as ?? 'admin']);
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      body = options.raw ?? JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const res = await fetch(`${base}${url}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

export interface AdminHarness {
  readonly service: RunningService;
  readonly call: Caller;
  readonly dataDir: string;
  close(): Promise<void>;
}

export async function startAdmin(options: {
  policyDir: string;
  dataDir?: string;
  tokensFile?: string | null;
  overrides?: Partial<ServeConfig>;
}): Promise<AdminHarness> {
  const dataDir = options.dataDir ?? tempDir('data');
  const tokensFile = options.tokensFile === undefined ? writeTokensFile(dataDir) : options.tokensFile;
  const service = await startService(
    {
      policyPaths: [options.policyDir],
      grpcAddress: '127.0.0.1',
      grpcPort: 0,
      adminAddress: '127.0.0.1',
      adminPort: 0,
      logLevel: 'silent',
      reloadIntervalMs: 60_000,
      lookupTimeoutMs: 150,
      // Lookups go to a loopback port nothing answers: tests never reach a real resolver.
      lookupServers: ['127.0.0.1:9'],
      shutdownGraceMs: 1000,
      dataDir,
      ...(tokensFile === null ? {} : { tokensFile }),
      ...options.overrides,
    },
    createLogger('silent'),
  );
  return {
    service,
    call: httpCaller(`http://127.0.0.1:${service.adminPort}`),
    dataDir,
    close: () => service.close(),
  };
}
