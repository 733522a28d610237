import { Registry } from 'prom-client';
import { createEventMetrics } from './event-metrics';

describe('createEventMetrics()', () => {
  it('counts pruned events by reason, both series present from the start', async () => {
    const registry = new Registry();
    const metrics = createEventMetrics(registry, () => 0);
    const text = async (): Promise<string> =>
      registry.getSingleMetricAsString('portcullis_events_pruned_total');
    expect(await text()).toContain('portcullis_events_pruned_total{bound="age"} 0');
    expect(await text()).toContain('portcullis_events_pruned_total{bound="size"} 0');
    metrics.pruned(5000, 'size');
    metrics.pruned(120, 'size');
    metrics.pruned(7, 'age');
    expect(await text()).toContain('portcullis_events_pruned_total{bound="size"} 5120');
    expect(await text()).toContain('portcullis_events_pruned_total{bound="age"} 7');
  });
});
