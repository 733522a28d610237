/**
 * `GET /api/events`: the events log, newest first, filtered by time range, verdict, type, agent,
 * host and decision id (the `x-portcullis-decision-id` of a 403), paged by cursor (the last id of
 * the previous page). Developer+ (src/admin/auth.ts).
 */
import type { FastifyInstance } from 'fastify';
import { normalizeHostname } from '../../policy/hostname';
import type { EventStore } from '../../store/event-store';
import { PortcullisError } from '../../errors/portcullis-error';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const query = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
    verdict: { type: 'string', enum: ['allow', 'deny', 'audit'] },
    type: { type: 'string', pattern: '^[a-z_]{1,64}$' },
    agent: { type: 'string', minLength: 1, maxLength: 253 },
    host: { type: 'string', minLength: 1, maxLength: 260 },
    decision_id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
    cursor: { type: 'string', pattern: '^[0-9]{1,15}$' },
  },
};

interface Query {
  readonly from?: string;
  readonly to?: string;
  readonly verdict?: string;
  readonly type?: string;
  readonly agent?: string;
  readonly host?: string;
  readonly decision_id?: string;
  readonly limit?: string;
  readonly cursor?: string;
}

/** Epoch milliseconds or an ISO 8601 date-time. */
function timeOf(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new PortcullisError(
      'invalid_value',
      `query.${field} must be an ISO 8601 time or epoch milliseconds`,
      {
        field: `query.${field}`,
      },
    );
  }
  return ms;
}

export function registerEventRoutes(app: FastifyInstance, events: EventStore): void {
  app.get(
    '/api/events',
    { config: { role: 'developer' }, schema: { tags: ['events'], querystring: query } },
    async (request) => {
      const q = request.query as Query;
      const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new PortcullisError('invalid_value', `query.limit must be from 1 to ${MAX_LIMIT}`, {
          field: 'query.limit',
        });
      }
      const host = q.host === undefined ? undefined : normalizeHostname(q.host);
      const fromMs = timeOf(q.from, 'from');
      const toMs = timeOf(q.to, 'to');
      const found = events.query({
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        ...(q.verdict === undefined ? {} : { verdict: q.verdict }),
        ...(q.type === undefined ? {} : { type: q.type }),
        ...(q.agent === undefined ? {} : { agent: q.agent }),
        ...(host === undefined ? {} : { host: host.ok ? host.host : q.host!.toLowerCase() }),
        ...(q.decision_id === undefined ? {} : { decisionId: q.decision_id }),
        ...(q.cursor === undefined ? {} : { beforeId: Number(q.cursor) }),
        limit,
      });
      const last = found[found.length - 1];
      return {
        events: found,
        next_cursor: found.length === limit && last !== undefined ? String(last.id) : null,
      };
    },
  );
}
