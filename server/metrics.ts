/**
 * The app's Prometheus metrics, on prom-client (STYLE.md: a kept library over hand-written
 * code). One `Registry` per Metrics, never prom-client's global one: tests build several apps
 * in one process, and each must export only its own series. No per-session state: every label
 * has a small, fixed set of values (a route is Fastify's template, a command a Redis command).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** HTTP and Redis latencies: from a fast Redis round trip to a request that hit a 2 s timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type QueueState = 'delayed' | 'waiting' | 'active' | 'failed';
export const QUEUE_STATES: QueueState[] = ['delayed', 'waiting', 'active', 'failed'];
/** How long a scrape waits for the timer queue's counts before leaving them out. */
export const QUEUE_COUNT_TIMEOUT_MS = 500;

export interface MetricsOptions {
  /** prom-client's process and Node metrics (CPU, memory, heap, event-loop lag, GC); default on. */
  defaults?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly timerLateness = new Histogram({
    name: 'vigil_timer_lateness_seconds',
    help: 'Time from a warning or expiry deadline to the moment it fired (event time minus scheduled time).',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
    registers: [this.registry],
  });
  readonly timerFired = new Counter({ name: 'vigil_timer_fired_total', help: 'Warnings and expiries fired by the timer wheel.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly eventsDelivered = new Counter({ name: 'vigil_events_delivered_total', help: 'Event batches sent to real-time clients.', labelNames: ['topic'] as const, registers: [this.registry] });
  readonly resyncs = new Counter({ name: 'vigil_slow_client_resyncs_total', help: 'Snapshots sent to clients that fell behind instead of queueing events.', registers: [this.registry] });
  readonly outboundAttempts = new Counter({
    name: 'vigil_outbound_attempts_total',
    help: 'Outbound delivery attempts (webhook POSTs, back-channel logout tokens) by outcome: ok (2xx) or failed.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly logins = new Counter({ name: 'vigil_logins_total', help: 'Password logins by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP requests by method, route template (not_found when none matched) and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly redisDuration = new Histogram({
    name: 'vigil_redis_command_duration_seconds',
    help: 'Redis command latency on the request-path clients, send to reply (a sample: one command in 16).',
    labelNames: ['command'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor(opts: MetricsOptions = {}) {
    // zero series for the known label values, so that rate() has a start and dashboards a line
    for (const kind of ['warning', 'expiry']) {
      this.timerLateness.zero({ kind });
      this.timerFired.inc({ kind }, 0);
    }
    for (const outcome of ['succeeded', 'failed', 'rate_limited']) this.logins.inc({ outcome }, 0);
    for (const kind of ['webhook', 'logout']) for (const outcome of ['ok', 'failed']) this.outboundAttempts.inc({ kind, outcome }, 0);
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry });
    this.gauge('vigil_process_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed);
    this.gauge('vigil_process_rss_bytes', 'Resident set size.', () => process.memoryUsage.rss());
  }

  /** A gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
  }

  /** `vigil_realtime_clients`: this process's real-time connections, read at scrape time. */
  realtimeClients(read: () => number): void {
    this.gauge('vigil_realtime_clients', 'Real-time clients connected to this process.', read);
  }

  /**
   * `vigil_timer_queue_jobs{state}`: the timer queue's job counts, asked for at scrape time.
   * A Redis that does not answer within QUEUE_COUNT_TIMEOUT_MS leaves the series out of that
   * scrape (rather than hanging /metrics or repeating stale counts).
   */
  timerQueue(counts: () => Promise<Partial<Record<QueueState, number>>>): void {
    this.queueGauge('vigil_timer_queue_jobs', 'Jobs in the timer queue by state, read at scrape time (left out when Redis does not answer in time).', counts);
  }

  /** `vigil_outbound_queue_jobs{state}`: the delivery queue's (drains backing off are `delayed`), as timerQueue. */
  outboundQueue(counts: () => Promise<Partial<Record<QueueState, number>>>): void {
    this.queueGauge('vigil_outbound_queue_jobs', 'Jobs in the outbound delivery queue by state (a webhook backing off is one delayed job), read at scrape time.', counts);
  }

  private queueGauge(name: string, help: string, counts: () => Promise<Partial<Record<QueueState, number>>>): void {
    new Gauge({
      name,
      help,
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        const got = await Promise.race([
          counts().catch(() => null),
          new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), QUEUE_COUNT_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
        this.reset();
        if (got) for (const state of QUEUE_STATES) this.set({ state }, got[state] ?? 0);
      },
    });
  }

  /** One HTTP request; `route` is the route's template (never the raw URL). */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route: route ?? 'not_found', status_code: statusCode }, seconds);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Whether an Authorization header carries `Bearer <token>`; always true without a token. The
 * comparison is of SHA-256 digests, in constant time (and so of equal length whatever was sent).
 */
export function bearerCheck(token: string | null): (authorization: string | undefined) => boolean {
  if (token === null) return () => true;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = digest(token);
  return (authorization) => {
    const m = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    return !!m && timingSafeEqual(digest(m[1]!), expected);
  };
}
