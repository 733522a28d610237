import { closest, didYouMean, editDistance } from './suggest';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['prots', 'ports', 1],
    ['destinationCIDR', 'destinationCIDRs', 1],
  ])('%s → %s = %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('didYouMean', () => {
  const fields = ['destinationHostnames', 'destinationCIDRs', 'ports', 'protocol', 'sourceAgents'];

  it.each([
    ['destinationCIDR', 'destinationCIDRs'],
    ['destinationcidrs', 'destinationCIDRs'],
    ['destinationHostname', 'destinationHostnames'],
    ['prots', 'ports'],
    ['sourceAgent', 'sourceAgents'],
  ])('%s suggests %s', (input, expected) => {
    expect(didYouMean(input, fields)).toBe(`did you mean \`${expected}\`?`);
  });

  it('suggests nothing when no candidate is close', () => {
    expect(didYouMean('loadBalancer', fields)).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
});
