/**
 * Whom a question about the policy is asked for, when it is asked before any connection exists
 * (the DNS layer, engine/dns-policy.ts): one agent, known by its labels, or "any agent", a trusted
 * proxy asking on behalf of all of them.
 *
 * A route's `sourceAgents` selector then answers two different questions. "May include": could the
 * audience hold an agent the selector selects (for "could something allow this")? "Covers all":
 * does the selector select every agent of the audience (for "is this denied to all of them")? An
 * absent selector selects every agent; a present one may include "any agent" but never covers it,
 * because some agent's labels may fail it.
 */
import type { Labels } from './label-selector';

export type Audience = { readonly labels: Labels } | 'any-agent';

/** A compiled `sourceAgents`; undefined when the match names none (every agent). */
export type Selects = ((labels: Labels) => boolean) | undefined;

/** Could the audience include an agent this selector selects? */
export function mayInclude(selects: Selects, audience: Audience): boolean {
  return selects === undefined || audience === 'any-agent' || selects(audience.labels);
}

/** Does the selector select every agent of the audience? */
export function coversAll(selects: Selects, audience: Audience): boolean {
  return selects === undefined || (audience !== 'any-agent' && selects(audience.labels));
}
