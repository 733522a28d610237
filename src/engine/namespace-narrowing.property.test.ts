/**
 * "Children may only narrow" (the namespace model), checked against the evaluator on random trees: whatever
 * `checkNarrowing` accepts can never reach a host its parent cannot, and whatever it rejects has a
 * host that proves the widening. Set PORTCULLIS_PROPERTY_SEED to replay a failure.
 */
import { request } from '../../test/support/policy';
import { namespace } from '../../test/support/namespaces';
import { compileNamespaceLayer, type NamespaceLayer } from '../compile/namespace-layer';
import { checkNarrowing } from '../policy/namespace-tree';
import type { HostPattern } from '../policy/values';
import type { LayerInput } from './layer';
import { evaluateNamespaces } from './namespace-layer';
import { ANONYMOUS_AGENT } from './types';
import { prng } from '../../test/support/random';

const TREES = 300;
const HOSTS_PER_TREE = 60;
const LABELS = ['a', 'b', 'c'];
/** Appears in no pattern, so it stands for "any other label". */
const FRESH = 'q';

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const labels = (min: number, max: number, alphabet: readonly string[]) =>
    Array.from({ length: min + int(max - min + 1) }, () => alphabet[int(alphabet.length)]).join('.');
  const pattern = () => ['', '*.', '**.'][int(3)] + labels(1, 3, LABELS);
  return {
    list: (max: number) => Array.from({ length: int(max + 1) }, pattern),
    host: () => labels(1, 5, [...LABELS, FRESH]),
  };
}

/** A host `domain` matches that no pattern over LABELS can single out. */
function witness(domain: HostPattern): string {
  if (domain.kind === 'exact') return domain.suffix;
  return domain.kind === 'single' ? `${FRESH}.${domain.suffix}` : `${FRESH}.${FRESH}.${domain.suffix}`;
}

const REQUEST = request({ connect: 'placeholder.example:443' });

function allows(layer: NamespaceLayer, path: string, host: string): boolean {
  const input: LayerInput = {
    request: REQUEST,
    dest: { host, hostEvidence: 'authority', names: [host], port: 443, protocol: 'tcp' },
    agent: { ...ANONYMOUS_AGENT, namespace: path },
  };
  return evaluateNamespaces(layer, input).outcome === 'allow';
}

describe('children may only narrow (property)', () => {
  const seed = Number(process.env['PORTCULLIS_PROPERTY_SEED'] ?? Date.now() % 2 ** 31);

  it(`holds for ${TREES} random trees (seed ${seed})`, () => {
    const gen = generator(prng(seed));
    let accepted = 0;
    let rejected = 0;
    for (let t = 0; t < TREES; t++) {
      const parentList = gen.list(4);
      const childList = gen.list(3);
      const parent = namespace('p', parentList);
      const child = namespace('p/c', childList);
      // The child's list on its own, where no ancestor narrows it, is what it would grant if widening were allowed.
      const layer = compileNamespaceLayer([parent, child, namespace('c', childList)]);
      const fail = (why: string): never => {
        throw new Error(
          `${why}\n  seed ${seed} (PORTCULLIS_PROPERTY_SEED=${seed}), tree ${t}\n  parent [${parentList.join(', ')}]\n  child [${childList.join(', ')}]`,
        );
      };

      const violation = checkNarrowing([parent], child);
      if (violation === undefined) {
        accepted++;
      } else {
        rejected++;
        const domain = child.allowedDomains?.find((d) => d.text === violation.domain);
        const host =
          domain === undefined
            ? fail(`violation names ${violation.domain}, which the child does not list`)
            : witness(domain);
        if (!allows(layer, 'c', host) || allows(layer, 'p', host)) {
          fail(`rejected ${violation.domain}, but ${host} does not show the child widening the parent`);
        }
      }

      for (let h = 0; h < HOSTS_PER_TREE; h++) {
        const host = gen.host();
        const byChild = allows(layer, 'c', host);
        const byParent = allows(layer, 'p', host);
        if (violation === undefined && byChild && !byParent) {
          fail(`accepted child allows ${host}, which the parent denies`);
        }
        if (allows(layer, 'p/c', host) !== (byChild && byParent)) {
          fail(`the walk for p/c does not intersect parent and child on ${host}`);
        }
      }
    }
    // The generator must exercise both branches, or the property says nothing.
    expect(accepted).toBeGreaterThan(TREES / 20);
    expect(rejected).toBeGreaterThan(TREES / 20);
  });
});
