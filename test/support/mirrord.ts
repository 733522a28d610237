/** Loads MirrordPolicy / MirrordClusterPolicy documents from inline YAML through the real loader. */
import type { Issue, MirrordPolicy } from '../../src/policy/types';
import { formatIssue } from '../../src/policy/validate';
import { mirrordClusterPolicyKind, mirrordPolicyKind } from '../../src/policy/validate-mirrord';
import { validateWith } from './validate-kinds';

export function loadMirrord(
  text: string,
  file = 'inline.yaml',
): { resources: MirrordPolicy[]; issues: Issue[] } {
  const { resources, issues } = validateWith([mirrordPolicyKind, mirrordClusterPolicyKind], text, file);
  const kinds = new Set(['MirrordPolicy', 'MirrordClusterPolicy']);
  if (resources.some((r) => !kinds.has(r.kind))) throw new Error('not only mirrord policies');
  return { resources: resources as MirrordPolicy[], issues };
}

/** The resources of valid YAML; throws with every error when there is one. */
export function mirrordFromYaml(text: string): MirrordPolicy[] {
  const { resources, issues } = loadMirrord(text);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`test policy is invalid:\n${errors.map(formatIssue).join('\n')}`);
  return resources;
}
