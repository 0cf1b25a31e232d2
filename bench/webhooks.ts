/**
 * Outbound delivery benchmark T12 (design/BENCHMARKS.md): 1,000 events/s to a webhook receiver
 * on loopback — p99 receipt ≤ 1 s; none lost across a SIGKILL of Vigil and a receiver down for
 * 30 s.
 *
 *   npx tsx bench/webhooks.ts [--rate 1000] [--steady 15] [--after-kill 15] [--outage 30]
 *                             [--after-outage 10] [--drain-max 180] [--max-minutes 8]
 *   (every flag also reads an env var: BENCH_RATE, BENCH_STEADY, ...)
 *
 * What runs where: bench/lib/perf-stack.ts — its own redis-server, the real Vigil server in a
 * child process (VIGIL_WEBHOOK_ALLOW_PRIVATE=1, timer and delivery workers on). This process is
 * the load and the receiver: it appends `bench.tick` events to the realm's stream through the
 * server's own `emitEvent` Lua command (the path every event takes), paced at --rate, and runs
 * the HTTP receiver, which verifies every delivery with the `standardwebhooks` package and
 * notes when it came. The load goes on whatever happens to Vigil or the receiver.
 *
 * Phases, one after the other with the load running throughout:
 *   steady      --steady s of normal delivery (the p99 of this phase is T12's latency figure)
 *   kill        Vigil is SIGKILLed and started again at once (same Redis, same prefix); --after-kill s
 *   outage      the receiver stops (connections refused) for --outage s, then listens again
 *   after       --after-outage s more, then the load stops and the backlog drains
 * Receipt latency = receipt time − the event's `at` (Redis TIME when it was appended); one clock.
 * Lost = events appended but never received; duplicates = receipts of an id already received.
 * Baseline in the same run: the same receiver getting the same rate of signed POSTs straight
 * from this process (no Vigil, no Redis): the floor of receipt latency on this machine.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { adminLogin, log, opt, paced, REALM, RESULTS, startStack, type Stack } from './lib/perf-stack.js';
import { fmtMs, runFooter, runHeader, summarize, table, type Summary } from './lib/stats.js';

const o = {
  rate: opt('rate', 1000),
  steady: opt('steady', 15),
  afterKill: opt('after-kill', 15),
  outage: opt('outage', 30),
  afterOutage: opt('after-outage', 10),
  drainMax: opt('drain-max', 180),
  baseline: opt('baseline', 5),
  maxMinutes: opt('max-minutes', 8),
};
const TARGET_P99_MS = 1000;
const EVENT = 'bench.tick';

type Phase = 'baseline' | 'steady' | 'kill' | 'outage' | 'after';

/** The receiver: verifies each delivery, notes its receipt time by webhook-id (first receipt only). */
class Receiver {
  server: http.Server | null = null;
  port = 0;
  readonly firstAt = new Map<string, number>();
  duplicates = 0;
  badSignatures = 0;
  requests = 0;
  wh: Webhook | null = null;

  async start(port = 0): Promise<void> {
    this.server = http.createServer({ keepAlive: true }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = Date.now();
        this.requests++;
        const id = String(req.headers['webhook-id']);
        if (this.wh) {
          try {
            this.wh.verify(Buffer.concat(chunks), {
              'webhook-id': id, 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']),
            });
          } catch {
            this.badSignatures++;
            res.writeHead(400).end();
            return;
          }
        }
        // webhook-id is `<realm>:<event id>`; the baseline's ids have no realm
        const eventId = id.slice(id.indexOf(':') + 1);
        if (this.firstAt.has(eventId)) this.duplicates++;
        else this.firstAt.set(eventId, now);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

async function baselineRun(rec: Receiver, secret: string): Promise<Summary> {
  const wh = new Webhook(secret);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const sentAt = new Map<string, number>();
  let n = 0;
  const one = () => new Promise<void>((resolve) => {
    const id = `base-${n++}`;
    const body = JSON.stringify({ id, name: EVENT, at: new Date().toISOString(), realm: REALM, sessionId: null, session: null, data: {} });
    const now = new Date();
    sentAt.set(id, now.getTime());
    const req = http.request({ host: '127.0.0.1', port: rec.port, path: '/hook', method: 'POST', agent, headers: {
      'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign(id, now, body),
    } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.end(body);
  });
  // one after the other, as a webhook's deliveries go (in order), paced at the rate
  const start = Date.now();
  await paced(start, o.rate * o.baseline, o.rate, async (k) => {
    for (let i = 0; i < k; i++) await one();
  });
  agent.destroy();
  const lat: number[] = [];
  for (const [id, at] of sentAt) {
    const got = rec.firstAt.get(id);
    if (got !== undefined) lat.push(got - at);
  }
  return summarize(lat);
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadavgAtStart = os.loadavg();
  let stack: Stack | null = null;
  const rec = new Receiver();
  const watchdog = setTimeout(() => {
    log(`webhooks bench: over --max-minutes ${o.maxMinutes}; stopping`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(2));
  }, o.maxMinutes * 60_000);
  watchdog.unref();
  try {
    log(`webhooks bench: ${o.rate} events/s; steady ${o.steady} s, SIGKILL + ${o.afterKill} s, receiver down ${o.outage} s, then ${o.afterOutage} s`);
    stack = await startStack({ name: 'webhooks', serverEnv: { VIGIL_WEBHOOK_ALLOW_PRIVATE: '1' } });
    await rec.start();
    const adminToken = await adminLogin(stack.url, stack.adminPassword);
    const created = await fetch(`${stack.url}/api/v1/realms/${REALM}/webhooks`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ url: `http://127.0.0.1:${rec.port}/hook`, events: ['bench.*'], description: 'bench:webhooks' }),
    });
    if (created.status !== 201) throw new Error(`POST /webhooks failed: ${created.status} ${await created.text()}`);
    const { secret } = ((await created.json()) as { webhook: { secret: string } }).webhook;

    log(`baseline: ${o.rate}/s signed POSTs straight to the receiver for ${o.baseline} s`);
    const baseline = await baselineRun(rec, secret);
    rec.wh = new Webhook(secret);

    // ---- the load: bench.tick events through emitEvent, paced, whatever happens to Vigil
    const { rds, keys } = stack;
    const appended: Array<{ id: string; phase: Phase }> = [];
    let phase: Phase = 'steady';
    let loading = true;
    const loadStart = Date.now();
    const load = (async () => {
      let n = 0;
      while (loading) {
        const due = Math.floor(((Date.now() - loadStart) / 1000) * o.rate);
        if (due > n) {
          const p = rds.pipeline();
          const k = Math.min(due - n, 2000);
          for (let i = 0; i < k; i++) (p as unknown as typeof rds).emitEvent(...keys.script.emitEvent(REALM), EVENT, '', `{"n":${n + i}}`, '');
          const ph = phase;
          for (const [err, id] of (await p.exec()) ?? []) if (!err) appended.push({ id: String(id), phase: ph });
          n += k;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

    log(`steady: ${o.steady} s`);
    await sleep(o.steady);
    phase = 'kill';
    const killAt = Date.now();
    await stack.server!.kill();
    log('Vigil SIGKILLed; starting it again');
    const second = await stack.startServer();
    const restartMs = second.child.readyAt - killAt;
    log(`Vigil ready again ${restartMs} ms after the kill; ${o.afterKill} s`);
    await sleep(Math.max(0, o.afterKill - restartMs / 1000));
    phase = 'outage';
    const port = rec.port;
    await rec.stop();
    const outageAt = Date.now();
    log(`receiver down for ${o.outage} s`);
    await sleep(o.outage);
    await rec.start(port);
    const backAt = Date.now();
    phase = 'after';
    log(`receiver back; ${o.afterOutage} s more`);
    await sleep(o.afterOutage);
    loading = false;
    await load;
    const loadStop = Date.now();
    log(`load stopped: ${appended.length} events appended in ${((loadStop - loadStart) / 1000).toFixed(1)} s; draining (at most ${o.drainMax} s)`);
    const drainUntil = Date.now() + o.drainMax * 1000;
    let lastCount = -1;
    while (Date.now() < drainUntil) {
      const got = appended.filter((a) => rec.firstAt.has(a.id)).length;
      if (got === appended.length) break;
      if (got !== lastCount) log(`  received ${got}/${appended.length}`);
      lastCount = got;
      await sleep(1);
    }
    const drainedAt = Date.now();

    // ---- results
    const atOf = (id: string) => Number(id.split('-')[0]);
    // an event appended in the last second before the kill was still on its way when Vigil died:
    // it counts in the kill phase, so that `steady` is what delivery does when nothing goes wrong
    for (const a of appended) if (a.phase === 'steady' && atOf(a.id) >= killAt - TARGET_P99_MS) a.phase = 'kill';
    const byPhase = new Map<Phase, number[]>();
    let lost = 0;
    for (const a of appended) {
      const got = rec.firstAt.get(a.id);
      if (got === undefined) {
        lost++;
        continue;
      }
      const l = byPhase.get(a.phase) ?? [];
      l.push(got - atOf(a.id));
      byPhase.set(a.phase, l);
    }
    // order: receipts in stream order (first receipt of each id)
    let outOfOrder = 0;
    let prev = 0;
    for (const a of appended) {
      const got = rec.firstAt.get(a.id);
      if (got === undefined) continue;
      if (got < prev) outOfOrder++;
      prev = Math.max(prev, got);
    }
    const all = summarize([...byPhase.values()].flat());
    const phases: Phase[] = ['steady', 'kill', 'outage', 'after'];
    const summaries = Object.fromEntries(phases.map((p) => [p, summarize(byPhase.get(p) ?? [])])) as Record<Phase, Summary>;
    const backlog = appended.filter((a) => a.phase === 'outage');
    const lastBacklogAt = Math.max(0, ...backlog.map((a) => rec.firstAt.get(a.id) ?? 0));
    const catchUpS = lastBacklogAt ? (lastBacklogAt - backAt) / 1000 : NaN;

    const rows = [
      ['baseline (direct POSTs)', baseline.n, fmtMs(baseline.p50), fmtMs(baseline.p99), fmtMs(baseline.max)],
      ...phases.map((p) => [`Vigil ${p}`, summaries[p].n, fmtMs(summaries[p].p50), fmtMs(summaries[p].p99), fmtMs(summaries[p].max)]),
      ['Vigil all', all.n, fmtMs(all.p50), fmtMs(all.p99), fmtMs(all.max)],
    ];
    const met = lost === 0 && summaries.steady.p99 <= TARGET_P99_MS && rec.badSignatures === 0 && outOfOrder === 0;
    const out: string[] = [''];
    out.push(`Outbound delivery (T12): ${o.rate} events/s to one webhook on loopback; receipt latency = receipt − event time (ms), first receipt of each event.`);
    out.push(table(['phase', 'events', 'p50', 'p99', 'max'], rows));
    out.push(`  steady: events appended before the last second ahead of the kill; kill: the rest until the receiver's outage.`);
    out.push(`  kill: Vigil SIGKILLed at +${((killAt - loadStart) / 1000).toFixed(1)} s and ready again ${restartMs} ms later (a killed drain's job lock lapses in ≤ 5 s, then a worker resumes at the cursor);`);
    out.push(`  outage: the receiver refused connections for ${((backAt - outageAt) / 1000).toFixed(1)} s; its ${backlog.length} events were all in ${fmtMs(catchUpS * 1000)} ms after it came back (retry backoff 1 s doubling, then the backlog in order).`);
    out.push(`  appended ${appended.length}, received ${appended.length - lost}, lost ${lost}, duplicates ${rec.duplicates}, out of order ${outOfOrder}, bad signatures ${rec.badSignatures}; drained ${((drainedAt - loadStop) / 1000).toFixed(1)} s after the load stopped.`);
    out.push(`Headline: steady p99 ${fmtMs(summaries.steady.p99)} ms vs ${fmtMs(baseline.p99)} ms for direct POSTs (${(summaries.steady.p99 / baseline.p99).toFixed(1)}x); ${lost} lost across the SIGKILL and the outage.`);
    out.push(`T12: ${met ? 'met' : 'NOT met'} in this run (target: steady p99 ≤ ${TARGET_P99_MS} ms, none lost). ${runFooter(started, loadavgAtStart)}`);
    console.log(out.join('\n'));
    const file = path.join(RESULTS, 'webhooks.json');
    writeFileSync(file, JSON.stringify({
      ...runHeader('webhooks', loadavgAtStart),
      options: o,
      targetP99Ms: TARGET_P99_MS,
      process: { server: 'child process (bench/lib/server-main.ts), SIGKILLed and started again', loadAndReceiver: 'this process' },
      baseline,
      latencyMs: { ...summaries, all },
      appended: appended.length, lost, duplicates: rec.duplicates, outOfOrder, badSignatures: rec.badSignatures,
      restartMs, outageSeconds: (backAt - outageAt) / 1000, backlog: backlog.length, catchUpSeconds: catchUpS,
      drainSecondsAfterLoad: (drainedAt - loadStop) / 1000,
      met,
      totalSeconds: (Date.now() - started) / 1000,
    }, null, 2) + '\n');
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await rec.stop();
    await stack?.stop();
    clearTimeout(watchdog);
  }
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
