/**
 * `StreamSecrets`: the state-of-the-world xDS stream Envoy opens with `api_type: GRPC`.
 *
 * Every request carries the whole list of names Envoy wants. Names new to the stream are answered
 * with their secrets (one response); names dropped from the list are forgotten. A response carries
 * only secrets that are new or rotated: for secrets (unlike listeners and clusters) Envoy does not
 * need the full set every time.
 *
 * A refused name cannot be withdrawn here: state of the world has no "removed", and a response
 * without the secret is rejected by Envoy's SdsApi ("Missing SDS resources"). So the handshake
 * waiting for it fails only at its transport_socket_connect_timeout; use DELTA_GRPC
 * (delta-stream.ts) to fail it at once. At rotation, a name the policy now refuses is not renewed:
 * Envoy keeps its current certificate until that expires.
 *
 * A request whose response_nonce is not the last one sent answers an older response and is ignored
 * (xDS protocol): the ACK of the latest response follows with the current list. A NACK is reported
 * and not answered, so a secret Envoy rejects is not sent again in a loop.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';

import { nackError, overBound } from './delta-stream';
import { resolveSecret } from './resolve-secret';
import { secretResource } from './secret-resource';
import { SECRET_TYPE_URL } from './sds-protos';
import type { DiscoveryRequest, DiscoveryResponse, SecretAny } from './sds-protos';
import { openStreamSession, type StreamEnv } from './stream-session';

type Call = ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

export function runSotwStream(call: Call, env: StreamEnv): void {
  /** Every name in Envoy's current list that is served (true) or was refused (false). */
  const names = new Map<string, boolean>();
  let version = 0;

  const answer = async (wanted: readonly string[]): Promise<void> => {
    const outcomes = await Promise.all(wanted.map((name) => resolveSecret(env, name, session.context)));
    if (!session.isOpen()) return;
    const resources: SecretAny[] = [];
    for (const outcome of outcomes) {
      const { name } = outcome;
      // Dropped from Envoy's list while this was minted: nothing to send.
      if (!names.has(name)) continue;
      if (outcome.kind === 'secret') {
        names.set(name, true);
        session.rotation.track(name, outcome.material);
        resources.push(secretResource(name, outcome.material));
        continue;
      }
      names.set(name, false);
      session.rotation.forget(name);
      if (outcome.kind === 'refused') env.onRefused(name, outcome.reason, session.context);
      else env.onError(outcome.error);
    }
    if (resources.length === 0) return;
    version += 1;
    session.send((nonce) => ({ version_info: String(version), resources, type_url: SECRET_TYPE_URL, nonce }));
  };

  const session = openStreamSession<DiscoveryRequest, DiscoveryResponse>(call, env, {
    async onRequest(request) {
      session.noteNode(request.node);
      if (!session.checkTypeUrl(request.type_url)) return;
      const nonce = request.response_nonce ?? '';
      if (nonce !== '' && nonce !== session.lastNonce()) return;
      if (request.error_detail !== undefined && request.error_detail !== null) {
        env.onError(nackError(nonce, request.error_detail.message));
      }
      const requested = new Set(request.resource_names ?? []);
      for (const name of names.keys()) {
        if (requested.has(name)) continue;
        names.delete(name);
        session.rotation.forget(name);
      }
      const added: string[] = [];
      for (const name of requested) {
        if (names.has(name) || name === '*') continue;
        if (names.size >= env.maxNamesPerStream) {
          env.onRefused(name, overBound(env.maxNamesPerStream), session.context);
          continue;
        }
        names.set(name, false);
        added.push(name);
      }
      if (added.length > 0) await answer(added);
    },
    async onDue(due) {
      await answer(due.filter((name) => names.get(name) === true));
    },
  });
}
