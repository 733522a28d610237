/** `/api/tokens`: admin-only token management. A new token is shown once, in the 201 answer. */
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../../store/token-store';
import type { SerialQueue } from '../../store/serial-queue';
import { PortcullisError } from '../../errors/portcullis-error';
import type { TokenRegistry } from '../auth';
import { actorOf, definedInFile, notFound } from '../route-support';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' };

export function registerTokenRoutes(
  app: FastifyInstance,
  deps: { tokens: TokenRegistry; queue: SerialQueue; now: () => Date; tokensFile?: string },
): void {
  const tags = ['tokens'];
  app.get('/api/tokens', { config: { role: 'admin' }, schema: { tags } }, async () => ({
    tokens: await deps.tokens.list(),
  }));

  app.post(
    '/api/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: { name: NAME, role: { type: 'string', enum: [...ROLES] } },
        },
      },
    },
    async (request, reply) => {
      const { name, role } = request.body as { name: string; role: Role };
      const token = await deps.queue.run(() => deps.tokens.create(name, role, actorOf(request), deps.now()));
      if (token === undefined)
        throw new PortcullisError('already_exists', `a token named ${name} already exists`);
      return reply.code(201).send({ name, role, token });
    },
  );

  app.delete(
    '/api/tokens/:name',
    { config: { role: 'admin' }, schema: { tags, params: { type: 'object', properties: { name: NAME } } } },
    async (request) => {
      const { name } = request.params as { name: string };
      const result = await deps.queue.run(() => deps.tokens.remove(name, actorOf(request), deps.now()));
      if (result === 'file') throw definedInFile(`token ${name}`, deps.tokensFile ?? 'the tokens file');
      if (result === 'not_found') throw notFound(`token ${name}`);
      return { deleted: name };
    },
  );
}
