import { formatPath, parsePath } from './validate-context';

describe('formatPath / parsePath', () => {
  it.each<[(string | number)[], string]>([
    [[], ''],
    [['spec'], 'spec'],
    [
      ['spec', 'rules', 0, 'matches', 1, 'destinationCIDRs', 2],
      'spec.rules[0].matches[1].destinationCIDRs[2]',
    ],
    [
      ['spec', 'denyResponse', 'headers', 'x-portcullis-reason'],
      'spec.denyResponse.headers.x-portcullis-reason',
    ],
    [['metadata', 'labels', 'app.kubernetes.io/name'], 'metadata.labels["app.kubernetes.io/name"]'],
    [['spec', 'denyResponse', 'headers', 'x reason'], 'spec.denyResponse.headers["x reason"]'],
  ])('%j ⇄ %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
    expect(parsePath(text)).toEqual(path);
  });

  it('reads the label-selector primitive’s paths', () => {
    expect(parsePath('spec.sourceAgents.matchLabels["team.io/x"]')).toEqual([
      'spec',
      'sourceAgents',
      'matchLabels',
      'team.io/x',
    ]);
  });
});
