import { parsePrometheusText, sumSamples } from './telemetry';

const GOOD = `# HELP a_total Things.
# TYPE a_total counter
a_total{x="1",y="q\\"uote"} 3
a_total{x="2"} 4
# HELP h Latency.
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="+Inf"} 2
h_sum 0.3
h_count 2
# TYPE g gauge
g Nan
`;

describe('parsePrometheusText', () => {
  it('reads families, labels with escapes, histograms and NaN as Prometheus does', () => {
    const families = parsePrometheusText(GOOD);
    expect([...families.keys()]).toEqual(['a_total', 'h', 'g']);
    expect(sumSamples(families, 'a_total')).toBe(7);
    expect(families.get('a_total')!.samples[0]!.labels).toEqual({ x: '1', y: 'q"uote' });
    expect(sumSamples(families, 'h_count')).toBe(2);
    expect(families.get('g')!.samples[0]!.value).toBeNaN();
  });

  it.each([
    ['no final line break', GOOD.trimEnd(), 'line break'],
    ['a malformed sample', '# TYPE a gauge\na{x=1} 2\n', 'bad labels'],
    ['a bad value', '# TYPE a gauge\na 1,5\n', 'bad value'],
    ['a repeated series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n', 'twice'],
    ['a repeated label', '# TYPE a gauge\na{x="1",x="2"} 1\n', 'label x twice'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n', 'outside its family'],
    ['a family split in two', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n', 'continues'],
    ['a sample of another family', '# TYPE a gauge\nb 1\n', 'outside its family'],
    ['an unknown type', '# TYPE a meter\n', 'unknown type'],
    [
      'buckets that go down',
      '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="2"} 2\nh_bucket{le="+Inf"} 3\nh_count 3\n',
      'not cumulative',
    ],
    ['+Inf differing from _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_count 4\n', '+Inf'],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});
