import { bodySchema, schemaOf } from './json-schema';
import { FIREWALL_SPEC } from './firewall';
import { NAMESPACE_SPEC } from './namespace';
import { RESOURCE_NAME_PATTERN, resourceName } from './common-nodes';
import { ALLOW_ENTRY, DOMAIN_LIST_SPEC } from './domain-list';

describe('bodySchema()', () => {
  it('takes the mapped fields under the API names, closed, required as the description says', () => {
    const schema = bodySchema(ALLOW_ENTRY, {
      domain: 'domain',
      reason: 'reason',
      require_auth: 'require_auth',
    });
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['domain'],
      properties: {
        domain: { type: 'string', minLength: 1, maxLength: 260 },
        reason: { type: 'string', maxLength: 1024 },
        require_auth: { type: 'boolean' },
      },
    });
    expect(Object.keys(schema['properties'] as object)).toEqual(['domain', 'reason', 'require_auth']);
  });

  it('renames, adds API-only fields, overrides required and allows null where asked', () => {
    const schema = bodySchema(
      NAMESPACE_SPEC,
      { name: 'path', allowed_domains: 'allowedDomains' },
      { required: ['name'], nullable: ['allowed_domains'] },
    );
    expect(schema['required']).toEqual(['name']);
    expect(schema['properties']).toMatchObject({
      name: { type: 'string', maxLength: 1100 },
      allowed_domains: { type: 'array', maxItems: 10_000, nullable: true },
    });
    const named = bodySchema(FIREWALL_SPEC, { name: resourceName('the policy', 'p'), enabled: 'enabled' });
    expect(named['properties']).toMatchObject({
      name: { type: 'string', pattern: RESOURCE_NAME_PATTERN },
      enabled: { type: 'boolean' },
    });
    expect(named['required']).toBeUndefined();
  });

  it('refuses a field the description does not have', () => {
    expect(() => bodySchema(NAMESPACE_SPEC, { name: 'nmae' as 'path' })).toThrow(/no field `nmae`/);
  });
});

describe("schemaOf(…, 'api')", () => {
  it('closes objects and spells a string-or-map field as anyOf', () => {
    const schema = schemaOf(DOMAIN_LIST_SPEC, 'api');
    expect(schema['additionalProperties']).toBe(false);
    const items = ((schema['properties'] as Record<string, Record<string, unknown>>)['allow']!['items'] ??
      {}) as Record<string, unknown>;
    expect((items['anyOf'] as { type: string }[]).map((s) => s.type)).toEqual(['string', 'object']);
  });
});
