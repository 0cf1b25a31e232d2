/** A small Prometheus text-format registry: counters, gauges and histograms, no per-session state. */

type Labels = Record<string, string>;
const key = (l: Labels) => Object.entries(l).sort().map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '\\$&')}"`).join(',');

class Counter {
  private values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, n = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (!this.values.size) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Gauge {
  constructor(readonly name: string, readonly help: string, private readonly read: () => number) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`].join('\n');
  }
}

export class Histogram {
  private series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly bounds: number[]) {}
  observe(value: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.buckets[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`, `${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`, `${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Metrics {
  readonly timerLateness = new Histogram(
    'vigil_timer_lateness_seconds',
    'Time from a warning or expiry deadline to the moment it fired (event time minus scheduled time).',
    [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
  );
  readonly timerFired = new Counter('vigil_timer_fired_total', 'Warnings and expiries fired by the timer wheel.');
  readonly eventsDelivered = new Counter('vigil_events_delivered_total', 'Event batches sent to real-time clients.');
  readonly resyncs = new Counter('vigil_slow_client_resyncs_total', 'Snapshots sent to clients that fell behind instead of queueing events.');
  readonly logins = new Counter('vigil_logins_total', 'Password logins by outcome.');
  private gauges: Gauge[] = [];

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.push(new Gauge(name, help, read));
  }

  render(): string {
    const mem = process.memoryUsage();
    const builtin = [
      new Gauge('vigil_process_heap_used_bytes', 'V8 heap in use.', () => mem.heapUsed),
      new Gauge('vigil_process_rss_bytes', 'Resident set size.', () => mem.rss),
    ];
    return [this.timerLateness, this.timerFired, this.eventsDelivered, this.resyncs, this.logins, ...this.gauges, ...builtin].map((m) => m.render()).join('\n') + '\n';
  }
}
