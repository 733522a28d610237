/** `POST /api/test`: the dry-run Test (Developer+ in the role table of src/admin/auth.ts). */
import type { FastifyInstance } from 'fastify';
import { decisionToJson } from '../../engine/decision-json';
import { dryRun, type DryRunDeps, type DryRunInput } from '../dry-run';

const LABELS = { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 } };

const body = {
  type: 'object',
  required: ['destination'],
  additionalProperties: false,
  properties: {
    agent: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253 },
        key: { type: 'string', minLength: 1, maxLength: 4096 },
        labels: LABELS,
        namespace: { type: 'string', maxLength: 1100 },
        principal: { type: 'string', minLength: 1, maxLength: 2048 },
        source: { type: 'string', minLength: 1, maxLength: 64 },
      },
    },
    destination: { type: 'string', minLength: 1, maxLength: 4096 },
    protocol: { type: 'string', enum: ['tcp', 'udp'] },
    method: { type: 'string', pattern: '^[A-Za-z]{1,16}$' },
    sni: { type: 'string', minLength: 1, maxLength: 253 },
    gateway: { type: 'string', minLength: 1, maxLength: 253 },
    listener: { type: 'string', minLength: 1, maxLength: 253 },
    resolve: {
      type: 'object',
      maxProperties: 64,
      additionalProperties: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } },
    },
    draft: {
      anyOf: [
        { type: 'string', maxLength: 512 * 1024 },
        { type: 'array', maxItems: 1000, items: { type: 'object' } },
      ],
    },
  },
};

export function registerTestRoutes(app: FastifyInstance, deps: DryRunDeps): void {
  app.post(
    '/api/test',
    {
      config: { role: 'developer' },
      schema: {
        tags: ['test'],
        summary: 'Dry-run one request (nothing is dispatched or recorded)',
        body,
      },
    },
    async (request) => {
      const decision = await dryRun(deps, request.body as DryRunInput);
      return { dry_run: true, ...decisionToJson(decision) };
    },
  );
}
