/**
 * The events log fed by real decisions: one record per Check made over gRPC (the namespace model's
 * event names, the firewall model's fields), the filters and paging of `GET /api/events`, and a
 * full queue that drops events, records how many, and exports the count as
 * `portcullis_events_dropped_total`.
 */
import { startAdmin, writePolicyDir, type AdminHarness } from '../support/admin-api';
import { absoluteGetRequest, connectAsEnvoy, connectRequest } from '../support/envoy-client';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: lists }
spec:
  allow: [{ domain: api.allowed.example, reason: tests }]
  block: [{ domain: blocked.example, reason: threat-intel }]
`;

type Event = Record<string, unknown> & { id: number; type: string };

/** Polls until `count` events match `query`, bounded by `ms`. */
async function eventsWhen(h: AdminHarness, query: string, count: number, ms = 5000): Promise<Event[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const limit = query.includes('limit=') ? '' : 'limit=1000&';
    const res = await h.call('GET', `/api/events?${limit}${query}`, { as: 'developer' });
    const events = res.body['events'] as Event[];
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('decision events', () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin({ policyDir: writePolicyDir({ 'lists.yaml': POLICY }) });
  });
  afterAll(() => h.close());

  it('writes one event per decision made through gRPC', async () => {
    const envoy = connectAsEnvoy(h.service.grpcPort);
    const N = 300;
    try {
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          envoy.check(connectRequest(i % 3 === 0 ? 'blocked.example:443' : 'api.allowed.example:443'), {
            'x-portcullis-agent': `agent-${i % 5}`,
          }),
        ),
      );
    } finally {
      envoy.close();
    }
    const all = await eventsWhen(h, 'from=0', N);
    const decisions = all.filter((e) => e.type.startsWith('proxy_domain_'));
    expect(decisions).toHaveLength(N);
    expect(new Set(decisions.map((e) => e['decision_id'])).size).toBe(N);
    expect(decisions.filter((e) => e.type === 'proxy_domain_denied')).toHaveLength(100);
  });

  it("records the firewall model's fields", async () => {
    const [denied] = await eventsWhen(h, 'verdict=deny&limit=1', 1);
    expect(denied).toMatchObject({
      type: 'proxy_domain_denied',
      verdict: 'deny',
      surface: 'egress',
      egress_host: 'blocked.example',
      egress_url: null,
      policy_name: 'lists',
      rule_label: 'blocked.example',
      reason_code: 'global_blocked',
      reason: expect.stringContaining('threat-intel') as unknown,
      agent: expect.stringMatching(/^agent-/) as unknown,
      request_id: expect.any(String) as unknown,
      decision_id: expect.any(String) as unknown,
      time: expect.any(String) as unknown,
    });
  });

  it('records the URL of a plain HTTP request, without its query string', async () => {
    const envoy = connectAsEnvoy(h.service.grpcPort);
    try {
      await envoy.check(absoluteGetRequest('api.allowed.example', '/v1/items?api_key=secret'));
    } finally {
      envoy.close();
    }
    const [event] = await eventsWhen(h, 'host=api.allowed.example&agent=anonymous', 1);
    expect(event).toMatchObject({ egress_url: 'http://api.allowed.example/v1/items', verdict: 'allow' });
  });

  it.each([
    ['verdict', 'verdict=deny', (e: Event) => e['verdict'] === 'deny'],
    ['type', 'type=proxy_domain_allowed', (e: Event) => e.type === 'proxy_domain_allowed'],
    ['agent', 'agent=agent-3', (e: Event) => e['agent'] === 'agent-3'],
    ['host', 'host=BLOCKED.example', (e: Event) => e['egress_host'] === 'blocked.example'],
  ] as const)('filters by %s', async (_name, query, holds) => {
    const events = await eventsWhen(h, query, 1);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every(holds)).toBe(true);
  });

  it("finds a deny's event by the decision id Envoy's 403 carries", async () => {
    const envoy = connectAsEnvoy(h.service.grpcPort);
    let id: string | undefined;
    try {
      const res = await envoy.check(connectRequest('blocked.example:443'));
      id = (res.dynamic_metadata?.fields?.['decision_id'] as { stringValue?: string } | undefined)
        ?.stringValue;
    } finally {
      envoy.close();
    }
    expect(id).toBeDefined();
    const found = await eventsWhen(h, `decision_id=${id}`, 1);
    expect(found.map((e) => [e['decision_id'], e.type])).toEqual([[id, 'proxy_domain_denied']]);
    expect(await eventsWhen(h, 'decision_id=no-such-decision', 1, 200)).toEqual([]);
    const bad = await h.call('GET', '/api/events?decision_id=%3Bdrop', { as: 'developer' });
    expect(bad.status).toBe(400);
  });

  it('filters by time range', async () => {
    const future = await h.call('GET', `/api/events?from=${Date.now() + 60_000}`);
    expect(future.body['events']).toEqual([]);
    const past = await h.call('GET', `/api/events?to=2000-01-01T00:00:00Z`);
    expect(past.body['events']).toEqual([]);
    const bad = await h.call('GET', '/api/events?from=yesterday');
    expect([bad.status, bad.body['error'], bad.body['field']]).toEqual([400, 'invalid_value', 'query.from']);
  });

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: Record<string, unknown> } = await h.call(
        'GET',
        `/api/events?limit=70${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      seen.push(...(page.body['events'] as Event[]).map((e) => e.id));
      cursor = page.body['next_cursor'] as string | null;
    } while (cursor !== null);
    const all = (await h.call('GET', '/api/events?limit=1000')).body['events'] as Event[];
    expect(seen).toEqual(all.map((e) => e.id));
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });
});

describe('a full events queue', () => {
  it('drops, records the dropped count, and exports it as a metric', async () => {
    const h = await startAdmin({
      policyDir: writePolicyDir({ 'lists.yaml': POLICY }),
      overrides: { eventsQueueSize: 5 },
    });
    const envoy = connectAsEnvoy(h.service.grpcPort);
    try {
      const N = 60;
      await Promise.all(
        Array.from({ length: N }, () => envoy.check(connectRequest('api.allowed.example:443'))),
      );
      const dropped = await eventsWhen(h, 'type=events_dropped', 1);
      const total = dropped.reduce((sum, e) => sum + (e['dropped'] as number), 0);
      const written = (await eventsWhen(h, 'type=proxy_domain_allowed', N - total)).length;
      expect(total).toBeGreaterThan(0);
      expect(written + total).toBe(N);
      const metrics = await h.call('GET', '/metrics', { as: null });
      expect(metrics.body['text']).toContain(`portcullis_events_dropped_total ${total}`);
      const status = await h.call('GET', '/api/status', { as: 'member' });
      expect(status.body['events']).toMatchObject({ queue_size: 5, dropped: total });
    } finally {
      envoy.close();
      await h.close();
    }
  });
});
