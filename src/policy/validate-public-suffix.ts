/**
 * The public-suffix rule for host patterns that allow traffic (docs/policy-validation.md): `**.com`,
 * `*.co.uk` or `**.github.io` would allow every name anyone registers under the suffix, so they are
 * rejected at load. An exact entry that is an ICANN suffix (`com`, `co.uk`) names no host anyone
 * serves and is almost always a pattern written wrongly, so it is rejected too; an exact
 * private-section suffix (`github.io`, `s3.amazonaws.com`) is the provider's own host and is fine.
 *
 * Lists that block (`deny`, `block`, `blockedDomains`, a route an EgressDenyPolicy flips to deny)
 * are not checked: blocking a whole suffix (`**.zip`) is a legitimate, fail-closed rule.
 */
import type { DocPath } from './documents';
import { publicSuffixOf } from './public-suffix';
import type { EgressDenyPolicy, EgressL4Route } from './types';
import type { ValidationContext } from './validate-context';
import type { ResourceWorld } from './validate-kind';
import type { HostPattern } from './values';

/** Reports `pattern` when it is or covers a public suffix; true when it passed. */
export function checkAllowedHostPattern(
  ctx: ValidationContext,
  pattern: HostPattern,
  path: DocPath,
): boolean {
  const hit = publicSuffixOf(pattern);
  if (hit === undefined) return true;
  if (pattern.kind === 'exact') {
    if (hit.section === 'private') return true;
    ctx.error(
      path,
      'POLICY_PUBLIC_SUFFIX',
      `\`${pattern.text}\` is a public suffix, where anyone can register a domain, not a host: as an exact entry it matches only the name ${hit.suffix} itself`,
      `name the host to reach, e.g. \`example.${hit.suffix}\`, or a domain and its subdomains with \`**.example.${hit.suffix}\``,
    );
    return false;
  }
  const prefix = pattern.kind === 'multi' ? '**.' : '*.';
  ctx.error(
    path,
    'POLICY_PUBLIC_SUFFIX',
    `\`${pattern.text}\` covers every name under the public suffix ${hit.suffix}, where anyone can register a domain`,
    `name the registrable domain, e.g. \`${prefix}example.${hit.suffix}\``,
  );
  return false;
}

/**
 * A route's `destinationHostnames` allow, unless an `EgressDenyPolicy` targets the route and so
 * turns it into a deny rule. Runs once every document is read (the deny policy may come later).
 */
export function checkRouteHostPatterns(
  route: EgressL4Route,
  world: ResourceWorld,
  ctx: ValidationContext,
): void {
  const denied = world.all('EgressDenyPolicy').some((resource) => {
    const policy = resource as EgressDenyPolicy;
    const namespace = policy.targetRef.namespace ?? policy.meta.namespace;
    return policy.targetRef.name === route.meta.name && namespace === route.meta.namespace;
  });
  if (denied) return;
  route.rules.forEach((rule, r) => {
    rule.matches.forEach((match, m) => {
      match.destinationHostnames.forEach((pattern, h) => {
        checkAllowedHostPattern(ctx, pattern, ['spec', 'rules', r, 'matches', m, 'destinationHostnames', h]);
      });
    });
  });
}
