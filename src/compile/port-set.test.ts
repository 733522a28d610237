import { compilePortSet } from './port-set';

const r = (start: number, end = start) => ({ start, end });

describe('compilePortSet', () => {
  const cases: [string, { start: number; end: number }[], number[], number[]][] = [
    ['no ranges: every port', [], [1, 22, 443, 65535], [0, 65536, 1.5, -1, NaN]],
    ['single port', [r(443)], [443], [442, 444, 1, 65535]],
    ['range is inclusive', [r(8000, 8080)], [8000, 8040, 8080], [7999, 8081]],
    ['whole range', [r(1, 65535)], [1, 65535], [0, 65536]],
    ['disjoint, unsorted', [r(443), r(80), r(22)], [22, 80, 443], [21, 23, 79, 81, 442, 444]],
    ['overlapping merge', [r(10, 20), r(15, 30), r(5, 12)], [5, 12, 20, 25, 30], [4, 31]],
    ['adjacent merge', [r(80), r(81), r(82, 90)], [80, 81, 90], [79, 91]],
    ['contained range', [r(1000, 2000), r(1500)], [1000, 1500, 2000], [999, 2001]],
    ['duplicates', [r(53), r(53)], [53], [52, 54]],
  ];
  it.each(cases)('%s', (_name, ranges, accept, reject) => {
    const set = compilePortSet(ranges);
    expect(set.any).toBe(ranges.length === 0);
    for (const p of accept) expect([p, set.has(p)]).toEqual([p, true]);
    for (const p of reject) expect([p, set.has(p)]).toEqual([p, false]);
  });

  it.each([
    ['overlap', [r(10, 20), r(15, 30), r(5, 12)], [r(5, 30)]],
    ['adjacent', [r(80), r(81), r(83)], [r(80, 81), r(83)]],
    ['sorted out', [r(443), r(80)], [r(80), r(443)]],
  ])('merges ranges: %s', (_name, ranges, merged) => {
    expect(compilePortSet(ranges).ranges).toEqual(merged);
  });

  it.each([
    ['start 0', r(0, 10)],
    ['end past 65535', r(1, 65536)],
    ['reversed', r(90, 80)],
    ['fraction', r(1.5, 2)],
  ])('rejects an invalid range: %s', (_name, range) => {
    expect(() => compilePortSet([range])).toThrow(RangeError);
  });

  it('agrees with a linear scan on random range sets', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const ranges = Array.from({ length: 1 + rand(20) }, () => {
        const start = 1 + rand(2000);
        return r(start, Math.min(65535, start + rand(100)));
      });
      const set = compilePortSet(ranges);
      for (let p = 0; p <= 2200; p++) {
        const want = ranges.some((x) => x.start <= p && p <= x.end);
        if (set.has(p) !== want) throw new Error(`round ${round} port ${p}: want ${want}`);
      }
    }
  });
});
