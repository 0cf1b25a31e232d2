/** server/metrics.ts on prom-client, and the Grafana dashboard in docs/ that reads it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bearerCheck, Metrics, QUEUE_COUNT_TIMEOUT_MS } from '../../server/metrics.js';
import { dashboardMetricNames, dashboardPanels, exprMetricNames } from '../helpers/grafana.js';

/** The metric names a Metrics with everything the app adds to it exports (histograms with their series' suffixes). */
async function exportedNames(m: Metrics): Promise<Set<string>> {
  const names = new Set<string>();
  for (const family of await m.registry.getMetricsAsJSON()) {
    names.add(family.name);
    if (String(family.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(family.name + s);
  }
  return names;
}

describe('Metrics', () => {
  it('gives every instance its own registry', async () => {
    const a = new Metrics({ defaults: false });
    const b = new Metrics({ defaults: false });
    a.logins.inc({ outcome: 'succeeded' });
    expect(await a.render()).toContain('vigil_logins_total{outcome="succeeded"} 1');
    expect(await b.render()).toContain('vigil_logins_total{outcome="succeeded"} 0');
  });

  it('renders the lateness histogram with prom-client bucket labels', async () => {
    const m = new Metrics({ defaults: false });
    m.timerLateness.observe({ kind: 'expiry' }, 0.003);
    const text = await m.render();
    expect(text).toContain('vigil_timer_lateness_seconds_bucket{le="0.001",kind="expiry"} 0');
    expect(text).toContain('vigil_timer_lateness_seconds_bucket{le="0.005",kind="expiry"} 1');
    expect(text).toContain('vigil_timer_lateness_seconds_bucket{le="+Inf",kind="expiry"} 1');
    expect(text).toContain('vigil_timer_lateness_seconds_count{kind="expiry"} 1');
  });

  it('labels an unmatched request not_found', async () => {
    const m = new Metrics({ defaults: false });
    m.observeRequest('GET', undefined, 404, 0.001);
    expect(await m.render()).toContain('vigil_http_request_duration_seconds_count{method="GET",route="not_found",status_code="404"} 1');
  });

  it('leaves the queue depths out of a scrape when Redis does not answer in time, without hanging it', async () => {
    const m = new Metrics({ defaults: false });
    m.timerQueue(() => new Promise(() => {}));
    const t0 = Date.now();
    const text = await m.render();
    expect(Date.now() - t0).toBeLessThan(QUEUE_COUNT_TIMEOUT_MS + 500);
    expect(text).toContain('# TYPE vigil_timer_queue_jobs gauge');
    expect(text).not.toMatch(/^vigil_timer_queue_jobs\{/m);
  });

  it('reads the queue depths at scrape time, and a failure leaves them out', async () => {
    const m = new Metrics({ defaults: false });
    let fail = false;
    m.timerQueue(async () => {
      if (fail) throw new Error('Connection is closed.');
      return { delayed: 3, waiting: 1, active: 2, failed: 0 };
    });
    expect(await m.render()).toContain('vigil_timer_queue_jobs{state="delayed"} 3');
    fail = true;
    expect(await m.render()).not.toMatch(/^vigil_timer_queue_jobs\{/m);
  });
});

describe('bearerCheck', () => {
  it('is open without a token', () => {
    expect(bearerCheck(null)(undefined)).toBe(true);
  });
  it('needs exactly Bearer <token>', () => {
    const ok = bearerCheck('s3cret-token');
    expect(ok('Bearer s3cret-token')).toBe(true);
    expect(ok('bearer s3cret-token')).toBe(true);
    expect(ok(undefined)).toBe(false);
    expect(ok('')).toBe(false);
    expect(ok('s3cret-token')).toBe(false);
    expect(ok('Bearer s3cret-tokenx')).toBe(false);
    expect(ok('Bearer s3cret')).toBe(false);
    expect(ok('Basic s3cret-token')).toBe(false);
  });
});

describe('docs/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8'));

  it('is an exported dashboard Grafana imports: schema ≥ 36, a Prometheus datasource input', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }));
    expect(typeof dashboard.title).toBe('string');
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    const ids = dashboardPanels(dashboard).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboardPanels(dashboard).filter((q) => q.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect((p as { datasource?: { uid?: string } }).datasource?.uid).toBe('${DS_PROMETHEUS}');
      for (const t of p.targets!) expect(exprMetricNames(t.expr ?? '').length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
    }
  });

  it('has the panels issue 9 asks for', () => {
    const titles = dashboardPanels(dashboard).map((p) => p.title ?? '').join('\n');
    for (const t of [/lateness/i, /HTTP requests/i, /HTTP p99/i, /Redis command p99/i, /Events delivered/i, /resyncs/i, /Logins/i, /Real-time clients/i, /queue depth/i, /Event-loop lag/i, /Heap/i]) expect(titles).toMatch(t);
    const exprs = dashboardPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
    expect(exprs).toContain('histogram_quantile(0.5, sum by (le, kind) (rate(vigil_timer_lateness_seconds_bucket');
    expect(exprs).toContain('histogram_quantile(0.99, sum by (le, kind) (rate(vigil_timer_lateness_seconds_bucket');
  });

  it('asks only for metrics Metrics exports (the integration test checks a real scrape too)', async () => {
    const m = new Metrics();
    m.realtimeClients(() => 0);
    m.timerQueue(async () => ({}));
    const exported = await exportedNames(m);
    expect(dashboardMetricNames(dashboard).filter((n) => !exported.has(n))).toEqual([]);
  });

  it('reads metric names out of PromQL', () => {
    expect(exprMetricNames('histogram_quantile(0.99, sum by (le, route) (rate(vigil_http_request_duration_seconds_bucket{instance=~"$instance", route!="x"}[$__rate_interval])))')).toEqual(['vigil_http_request_duration_seconds_bucket']);
    expect(exprMetricNames('max by (state) (vigil_timer_queue_jobs) / on (instance) up')).toEqual(['vigil_timer_queue_jobs', 'up']);
  });
});
