/**
 * Kubernetes label selectors compiled to a predicate over an agent's labels (validation of the
 * YAML shape is `policy/validate-selector.ts`). Semantics follow apimachinery's
 * `metav1.LabelSelectorAsSelector`.
 */
import type { LabelSelector } from '../policy/values';

export type Labels = Readonly<Record<string, string>>;

const matchAll = (): boolean => true;

/**
 * Compiles a validated selector. matchLabels and every requirement must all hold; `NotIn` and
 * `DoesNotExist` hold when the key is absent; an empty selector matches everything. Only own
 * properties of `labels` count, so a key such as `constructor` is never found on the prototype.
 */
export function compileSelector(sel: LabelSelector): (labels: Labels) => boolean {
  const keys = Object.keys(sel.matchLabels);
  const wanted = keys.map((k) => sel.matchLabels[k] as string);
  const reqs = sel.matchExpressions.map((r) => ({ key: r.key, op: r.operator, values: new Set(r.values) }));
  if (keys.length === 0 && reqs.length === 0) return matchAll;
  return (labels) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (!Object.hasOwn(labels, k) || labels[k] !== wanted[i]) return false;
    }
    for (const r of reqs) {
      const present = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'In':
          if (!present || !r.values.has(labels[r.key] as string)) return false;
          break;
        case 'NotIn':
          if (present && r.values.has(labels[r.key] as string)) return false;
          break;
        case 'Exists':
          if (!present) return false;
          break;
        case 'DoesNotExist':
          if (present) return false;
          break;
      }
    }
    return true;
  };
}

/** The selector as Kubernetes prints it: `team=ci,env in (prod,stage),!legacy`. */
export function describeSelector(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of sel.matchExpressions) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${r.values.join(',')})`);
  }
  return parts.join(',');
}

/**
 * Checks a selector as written in a manifest and reports every problem with its path. `selector`
 * is returned (frozen) only when there are none. Absence is the caller's call: Kubernetes reads a
 * missing selector as "nothing" in some fields and "everything" in others, so `undefined` and `null`
 * are reported here rather than guessed.
 */
