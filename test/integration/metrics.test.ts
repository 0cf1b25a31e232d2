/**
 * GET /metrics (CONTRACT.md, Operations): Prometheus text from prom-client with the default
 * process and Node metrics and Vigil's own, behind VIGIL_METRICS_TOKEN when it is set; and
 * the Grafana dashboard in docs/ asks only for metrics that are exported.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { parsePromHistogram } from '../../bench/lib/stats.js';
import { dashboardMetricNames } from '../helpers/grafana.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the Prometheus text format (0.0.4): every line is empty (the format
 * ignores them; prom-client writes one after a family without series), a HELP or TYPE comment,
 * or `name{label="value",...} value`; anything else fails the test. Returns the samples and
 * the metric families' declared types.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const sampleLine = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (-?[0-9.e+-]+|[+-]Inf|[Nn]a[Nn])(?: -?\\d+)?$`);
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      expect(line).toMatch(new RegExp(`^# HELP ${NAME} `));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      expect(m, line).not.toBeNull();
      types.set(m![1]!, m![2]!);
      continue;
    }
    const m = sampleLine.exec(line);
    expect(m, `not a sample line: ${JSON.stringify(line)}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    // prom-client writes NaN as `Nan` (an empty event-loop histogram's mean); Prometheus reads
    // values with Go's ParseFloat, which takes NaN in any case
    const value = /^nan$/i.test(m![3]!) ? NaN : Number(m![3]!.replace('Inf', 'Infinity'));
    expect(Number.isNaN(value) && !/^nan$/i.test(m![3]!), line).toBe(false);
    samples.push({ name: m![1]!, labels, value });
  }
  return { samples, types };
}

let t: TestApp;
let guarded: TestApp;
const TOKEN = 'metrics-token-0123456789';

beforeAll(async () => {
  [t, guarded] = await Promise.all([startTestApp(), startTestApp({ env: { VIGIL_METRICS_TOKEN: TOKEN } })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), guarded?.close()]);
});

async function scrape(app = t, headers: Record<string, string> = {}) {
  const r = await fetch(`${app.url}/metrics`, { headers });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await r.text());
}

describe('GET /metrics', () => {
  it('is Prometheus text with the default process and Node metrics', async () => {
    const { samples, types } = await scrape();
    const names = new Set(samples.map((s) => s.name));
    expect(names.has('process_cpu_user_seconds_total')).toBe(true);
    expect(names.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(names.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(types.get('vigil_timer_lateness_seconds')).toBe('histogram');
  });

  it('exports the timer-lateness histogram in the form the benchmarks read', async () => {
    const { samples } = await scrape();
    const buckets = samples.filter((s) => s.name === 'vigil_timer_lateness_seconds_bucket');
    expect(buckets.map((b) => b.labels.kind)).toContain('warning');
    expect(buckets.map((b) => b.labels.le)).toContain('0.005');
    expect(buckets.map((b) => b.labels.le)).toContain('+Inf');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const series = parsePromHistogram(text, 'vigil_timer_lateness_seconds');
    expect(series.map((s) => s.labels).sort()).toEqual(['kind="expiry"', 'kind="warning"']);
    for (const s of series) {
      expect(s.buckets.at(-1)!.le).toBe(Infinity);
      expect(s.buckets.map((b) => b.le)).toEqual([...s.buckets.map((b) => b.le)].sort((a, b) => a - b));
      expect(s.buckets.at(-1)!.count).toBe(s.count);
    }
  });

  it('times HTTP requests by route template, never by raw URL', async () => {
    const { token } = await t.login();
    expect((await t.api('GET', '/me', { token })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/no-such-route/12345')).status).toBe(404);
    const { samples } = await scrape();
    const http = samples.filter((s) => s.name === 'vigil_http_request_duration_seconds_count');
    expect(http.find((s) => s.labels.route === '/api/v1/realms/:realm/me' && s.labels.method === 'GET' && s.labels.status_code === '200')?.value).toBeGreaterThanOrEqual(1);
    expect(http.find((s) => s.labels.route === 'not_found' && s.labels.status_code === '404')?.value).toBeGreaterThanOrEqual(1);
    expect(samples.some((s) => s.name === 'vigil_http_request_duration_seconds_bucket' && s.labels.route === '/api/v1/realms/:realm/me')).toBe(true);
    expect(http.some((s) => s.labels.route!.includes('default') || s.labels.route!.includes('12345'))).toBe(false);
  });

  it('samples Redis command latency and reads the timer queue depths at scrape time', async () => {
    for (let i = 0; i < 20; i++) await t.api('GET', '/me', { token: t.adminToken }); // well over 16 commands
    const { samples } = await scrape();
    const redis = samples.filter((s) => s.name === 'vigil_redis_command_duration_seconds_count');
    expect(redis.length).toBeGreaterThan(0);
    expect(redis.every((s) => /^[a-z]+$/.test(s.labels.command!))).toBe(true);
    const queue = samples.filter((s) => s.name === 'vigil_timer_queue_jobs');
    expect(queue.map((s) => s.labels.state).sort()).toEqual(['active', 'delayed', 'failed', 'waiting']);
    expect(queue.every((s) => Number.isInteger(s.value) && s.value >= 0)).toBe(true);
  });

  it('exports every metric the Grafana dashboard asks for', async () => {
    const { types } = await scrape();
    const exported = new Set<string>();
    for (const [name, type] of types) {
      exported.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix);
    }
    const asked = dashboardMetricNames(JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')));
    expect(asked.length).toBeGreaterThan(5);
    expect(asked.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('keeps each app to its own registry', async () => {
    const mine = (await scrape()).samples.find((s) => s.name === 'vigil_http_request_duration_seconds_count' && s.labels.route === '/api/v1/realms/:realm/me');
    const theirs = (await scrape(guarded, { authorization: `Bearer ${TOKEN}` })).samples.find((s) => s.name === 'vigil_http_request_duration_seconds_count' && s.labels.route === '/api/v1/realms/:realm/me' && s.labels.status_code === '200');
    expect(mine?.value).toBeGreaterThanOrEqual(20);
    expect(theirs).toBeUndefined();
  });
});

describe('GET /metrics with VIGIL_METRICS_TOKEN', () => {
  it.each([
    ['no Authorization', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token' }],
    ['a token of another length', { authorization: `Bearer ${TOKEN}x` }],
    ['the token without Bearer', { authorization: TOKEN }],
  ])('answers 401 in the error shape for %s', async (_what, headers: Record<string, string>) => {
    const r = await fetch(`${guarded.url}/metrics`, { headers });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ statusCode: 401, code: 'VIGIL_ERR_UNAUTHENTICATED', error: 'Unauthorized' });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('answers 200 with the token', async () => {
    const { samples } = await scrape(guarded, { authorization: `Bearer ${TOKEN}` });
    expect(samples.some((s) => s.name === 'vigil_timer_lateness_seconds_bucket')).toBe(true);
  });

  it('leaves the other operations endpoints open', async () => {
    expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
  });
});
