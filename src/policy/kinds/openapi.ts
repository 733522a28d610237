/**
 * `openApiSchemaFor(kind)`: the structural OpenAPI v3 schema of a whole resource of `kind`, as a
 * Kubernetes CRD's `spec.versions[].schema.openAPIV3Schema` holds it, derived from the kind's
 * description (registry.ts) by json-schema.ts.
 */
import { schemaOf, type JsonSchema } from './json-schema';
import { kindDescription } from './registry';

export function openApiSchemaFor(kind: string): JsonSchema {
  const description = kindDescription(kind);
  return {
    type: 'object',
    description: `${description.kind}: ${description.description}`,
    properties: {
      apiVersion: { type: 'string', description: 'The versioned schema of this representation of an object' },
      kind: { type: 'string', description: 'The REST resource this object represents' },
      metadata: { type: 'object' },
      spec: schemaOf(description.spec, 'crd'),
    },
    required: ['spec'],
  };
}
