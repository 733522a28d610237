/**
 * Validates inline YAML through the real loader (`validateDocuments`), for tests of particular
 * kinds. `kinds` documents which validators a test exercises; they must be registered.
 */
import { parseDocuments } from '../../src/policy/documents';
import type { Issue, Resource } from '../../src/policy/types';
import { validateDocuments } from '../../src/policy/validate';
import type { KindValidator } from '../../src/policy/validate-kind';
import { KINDS } from '../../src/policy/validate-registry';

export interface Validated {
  readonly resources: Resource[];
  readonly issues: Issue[];
}

export function validateWith(kinds: readonly KindValidator[], text: string, file = 'inline.yaml'): Validated {
  for (const k of kinds) if (KINDS.get(k.kind) !== k) throw new Error(`kind ${k.kind} is not registered`);
  const parsed = parseDocuments(file, text);
  const validated = validateDocuments(parsed.docs);
  return { resources: validated.resources, issues: [...parsed.issues, ...validated.issues] };
}

export function errorsOf(validated: Validated): [string, string][] {
  return validated.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.path]);
}
