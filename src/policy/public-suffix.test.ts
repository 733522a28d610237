import { parseHostPattern } from './hostname';
import { publicSuffixOf, publicSuffixSection } from './public-suffix';
import type { HostPattern } from './values';

function pattern(text: string): HostPattern {
  const parsed = parseHostPattern(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.pattern;
}

describe('publicSuffixSection', () => {
  it.each([
    ['com', 'icann'],
    ['co.uk', 'icann'],
    ['xn--p1ai', 'icann'],
    ['github.io', 'private'],
    ['s3.amazonaws.com', 'private'],
    ['example.com', undefined],
    ['amazonaws.com', undefined],
    ['www.ck', undefined],
    // Unlisted top-level labels: private networks, not registries.
    ['internal', undefined],
    ['local', undefined],
    ['svc.cluster.local', undefined],
    ['test', undefined],
  ])('%s → %s', (name, section) => {
    expect(publicSuffixSection(name)).toBe(section);
  });
});

describe('publicSuffixOf', () => {
  it.each([
    ['**.com', { suffix: 'com', section: 'icann' }],
    ['*.com', { suffix: 'com', section: 'icann' }],
    ['*.co.uk', { suffix: 'co.uk', section: 'icann' }],
    ['**.uk', { suffix: 'uk', section: 'icann' }],
    ['**.github.io', { suffix: 'github.io', section: 'private' }],
    ['*.s3.amazonaws.com', { suffix: 's3.amazonaws.com', section: 'private' }],
    ['**.xn--p1ai', { suffix: 'xn--p1ai', section: 'icann' }],
    // Parents of wildcard rules (`*.nagoya.jp`, `*.elb.amazonaws.com`).
    ['**.nagoya.jp', { suffix: 'nagoya.jp', section: 'icann' }],
    ['**.elb.amazonaws.com', { suffix: 'elb.amazonaws.com', section: 'private' }],
    ['com', { suffix: 'com', section: 'icann' }],
    ['github.io', { suffix: 'github.io', section: 'private' }],
    ['**.example.com', undefined],
    ['*.example.co.uk', undefined],
    ['**.octocat.github.io', undefined],
    ['example.com', undefined],
    ['**.internal', undefined],
    ['**.svc.cluster.local', undefined],
    ['*.example', undefined],
  ])('%s → %j', (text, hit) => {
    expect(publicSuffixOf(pattern(text))).toEqual(hit);
  });
});
