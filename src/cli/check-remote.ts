/**
 * `portcullis check --server HOST:PORT`: the question asked of a running Portcullis as Envoy
 * would ask it, instead of loading policy files. Exit 0 allow, 1 deny, 2 usage, and
 * EXIT_SERVER_ERROR when there is no answer to explain.
 */
import { askServer, DEFAULT_TIMEOUT_MS } from './check-server';
import { envoyCheckFromTarget } from './envoy-check-request';
import { formatServerAnswer, serverAnswerToJson } from './format-server-answer';
import type { CommandIo } from './io';
import { usageError } from './usage-error';
import { exitCodeOf } from '../errors/error-codes';

/** The server could not be reached, did not answer in time, or answered with a gRPC error. */
export const EXIT_SERVER_ERROR = exitCodeOf('unavailable');

/** A bound, so a typo cannot make the command hang for hours. */
const MAX_TIMEOUT_MS = 600_000;

/** Flags that only change a local check: the server identifies the agent and resolves names itself. */
const LOCAL_ONLY = ['policy', 'label', 'namespace', 'resolve', 'dns-server'] as const;

export interface RemoteCheckValues {
  readonly server: string;
  readonly 'timeout-ms'?: string | undefined;
  readonly dest?: string | undefined;
  readonly protocol?: string | undefined;
  readonly method?: string | undefined;
  readonly sni?: string | undefined;
  readonly gateway?: string | undefined;
  readonly listener?: string | undefined;
  readonly agent?: string | undefined;
  readonly key?: string | undefined;
  readonly principal?: string | undefined;
  readonly source?: string | undefined;
  readonly l4?: boolean | undefined;
  readonly transparent?: boolean | undefined;
  readonly address?: string | undefined;
  readonly json?: boolean | undefined;
  readonly policy?: readonly string[] | undefined;
  readonly label?: readonly string[] | undefined;
  readonly namespace?: string | undefined;
  readonly resolve?: readonly string[] | undefined;
  readonly 'dns-server'?: readonly string[] | undefined;
}

export async function checkAgainstServer(v: RemoteCheckValues, io: CommandIo): Promise<number> {
  for (const flag of LOCAL_ONLY) {
    if (v[flag] !== undefined) {
      throw usageError(
        flag === 'policy'
          ? 'give --policy (decide locally) or --server (ask a running Portcullis), not both'
          : `--${flag} is for a local check: with --server the server identifies the agent and resolves names`,
      );
    }
  }
  if (!/^(?:\[[^\]]+\]|[^:[\]\s]+):\d{1,5}$/.test(v.server)) {
    throw usageError(`--server wants HOST:PORT (the gRPC address Envoy uses), got "${v.server}"`);
  }
  const timeoutMs = timeoutOf(v['timeout-ms']);
  if (!v.dest) throw usageError('--dest HOST:PORT, IP:PORT or URL is required');
  const built = envoyCheckFromTarget({
    destination: v.dest,
    ...(v.protocol !== undefined ? { protocol: v.protocol } : {}),
    ...(v.method !== undefined ? { method: v.method } : {}),
    ...(v.sni !== undefined ? { sni: v.sni } : {}),
    ...(v.gateway !== undefined ? { gateway: v.gateway } : {}),
    ...(v.listener !== undefined ? { listener: v.listener } : {}),
    ...(v.l4 === true ? { l4: true } : {}),
    ...(v.transparent === true ? { transparent: true } : {}),
    ...(v.address !== undefined ? { address: v.address } : {}),
    agent: {
      ...(v.agent !== undefined ? { name: v.agent } : {}),
      ...(v.key !== undefined ? { key: v.key } : {}),
      ...(v.principal !== undefined ? { principal: v.principal } : {}),
      ...(v.source !== undefined ? { source: v.source } : {}),
    },
  });
  if (!built.ok) throw usageError(built.message);
  const { shape, request, metadata } = built.check;
  const result = await askServer(v.server, request, metadata, timeoutMs);
  if (!result.ok) {
    io.err(`portcullis check: ${result.message}`);
    return EXIT_SERVER_ERROR;
  }
  const asked = { server: v.server, shape, target: v.dest, protocol: v.protocol ?? 'tcp' };
  if (v.json === true) io.out(JSON.stringify(serverAnswerToJson(result.answer, asked)));
  else for (const line of formatServerAnswer(result.answer, asked)) io.out(line);
  return result.answer.verdict === 'allow' ? 0 : 1;
}

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw usageError(`--timeout-ms wants milliseconds from 1 to ${MAX_TIMEOUT_MS}, got "${text}"`);
  }
  return ms;
}
