/**
 * Who is calling. The agent named by the gateway's configuration (gRPC metadata or context
 * extension) is taken as given: Envoy sets it per listener or sidecar, the agent cannot.
 */
import type { Agent, EgressRequest } from '../engine/types';
import { ANONYMOUS_AGENT } from '../engine/types';

export function resolveAgent(request: EgressRequest): Agent {
  const name = request.context.agent;
  if (name === undefined || name === '') return ANONYMOUS_AGENT;
  return { name, namespace: '', labels: {}, identifiedBy: 'context', authenticated: false };
}
