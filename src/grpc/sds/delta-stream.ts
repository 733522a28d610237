/**
 * `DeltaSecrets`: the delta xDS stream Envoy opens with `api_type: DELTA_GRPC`. This is the variant
 * that lets a refused name fail fast: Envoy's on-demand certificate selector fails the handshakes
 * waiting for a secret when the server *removes* that secret, and only delta xDS can say "removed"
 * (`removed_resources`). A state-of-the-world response that leaves a name out is no answer for it
 * (Envoy's SdsApi rejects a response without the secret), so the handshake would wait until its
 * transport_socket_connect_timeout.
 *
 * - `resource_names_subscribe`: each name is answered with its secret, or listed in
 *   `removed_resources` when refused or when minting failed (the handshake fails; the next one for
 *   that name asks again). A name Envoy says it already holds (`initial_resource_versions`, after a
 *   reconnect) at the version the cache would give is not sent again.
 * - `resource_names_unsubscribe`: forgotten, no answer.
 * - ACK (the last nonce) needs no answer; a NACK (`error_detail`) is reported and not answered, so a
 *   secret Envoy rejects is not sent again in a loop.
 * - Rotation: at two thirds of a certificate's lifetime the name is authorized and minted again and
 *   pushed; a name the policy now refuses is removed.
 * - Each Resource carries a TTL ending a minute before the leaf does: if rotation ever fails to
 *   arrive, Envoy drops the secret rather than serve an expired leaf, and asks again.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';

import { resolveSecret, type SecretOutcome } from './resolve-secret';
import { secretResource } from './secret-resource';
import { SECRET_TYPE_URL } from './sds-protos';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaResource } from './sds-protos';
import { openStreamSession, type StreamEnv } from './stream-session';

type Call = ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

const TTL_MARGIN_MS = 60_000;
const MIN_TTL_MS = 1000;

export function runDeltaStream(call: Call, env: StreamEnv): void {
  /** Names this stream serves a certificate for. */
  const live = new Set<string>();

  /**
   * Resolves `names` and sends one response: their secrets (unless Envoy already holds that
   * version) and, as removed, every name refused or failed plus `refused` (names over the bound).
   */
  const answer = async (
    names: readonly string[],
    known: Readonly<Record<string, string>>,
    refused: readonly string[],
  ): Promise<void> => {
    const outcomes = await Promise.all(names.map((name) => resolveSecret(env, name, session.context)));
    if (!session.isOpen()) return;
    const resources: DeltaResource[] = [];
    const removed: string[] = [...refused];
    for (const outcome of outcomes) {
      const resource = settle(outcome, known[outcome.name]);
      if (resource === 'removed') removed.push(outcome.name);
      else if (resource !== undefined) resources.push(resource);
    }
    if (resources.length === 0 && removed.length === 0) return;
    session.send((nonce) => ({ resources, removed_resources: removed, type_url: SECRET_TYPE_URL, nonce }));
  };

  /** Records the outcome; returns the resource to send, 'removed', or nothing (Envoy has it). */
  const settle = (
    outcome: SecretOutcome,
    known: string | undefined,
  ): DeltaResource | 'removed' | undefined => {
    const { name } = outcome;
    if (outcome.kind !== 'secret') {
      live.delete(name);
      session.rotation.forget(name);
      if (outcome.kind === 'refused') env.onRefused(name, outcome.reason, session.context);
      else env.onError(outcome.error);
      return 'removed';
    }
    const { material } = outcome;
    live.add(name);
    session.rotation.track(name, material);
    if (known === material.serialNumber) return undefined;
    const ttlMs = Math.max(MIN_TTL_MS, material.notAfter - env.clock.now() - TTL_MARGIN_MS);
    return {
      name,
      version: material.serialNumber,
      resource: secretResource(name, material),
      ttl: { seconds: String(Math.floor(ttlMs / 1000)), nanos: (ttlMs % 1000) * 1e6 },
    };
  };

  const session = openStreamSession<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(call, env, {
    async onRequest(request) {
      session.noteNode(request.node);
      if (!session.checkTypeUrl(request.type_url)) return;
      if (request.error_detail !== undefined && request.error_detail !== null) {
        env.onError(nackError(request.response_nonce, request.error_detail.message));
      }
      for (const name of request.resource_names_unsubscribe ?? []) {
        live.delete(name);
        session.rotation.forget(name);
      }
      const wanted: string[] = [];
      const over: string[] = [];
      for (const name of new Set(request.resource_names_subscribe ?? [])) {
        // A wildcard subscription ("*") asks for every secret; there is no such list here.
        if (name === '*') continue;
        if (!live.has(name) && live.size + wanted.length >= env.maxNamesPerStream) over.push(name);
        else wanted.push(name);
      }
      for (const name of over) env.onRefused(name, overBound(env.maxNamesPerStream), session.context);
      if (wanted.length > 0 || over.length > 0) {
        await answer(wanted, request.initial_resource_versions ?? {}, over);
      }
    },
    async onDue(names) {
      await answer(
        names.filter((name) => live.has(name)),
        {},
        [],
      );
    },
  });
}

export function overBound(max: number): string {
  return `this SDS stream already holds ${max} names, the most one stream may (Envoy's on-demand max_secrets should be lower)`;
}

export function nackError(nonce: string | undefined, message: string | undefined): Error {
  return new Error(
    `Envoy rejected SDS response ${nonce === undefined || nonce === '' ? '(no nonce)' : nonce}: ${message ?? 'no message'}`,
  );
}
