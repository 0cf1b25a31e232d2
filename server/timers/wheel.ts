/**
 * The timer wheel. Deadlines live in each realm's sorted set (score = next check time).
 * Instead of one BullMQ job per session per deadline (measured here: > 1 s late at 4,000
 * jobs/s), there is one delayed job per realm per one-second slice that has any deadline in
 * it. The job is delayed to start LEAD_MS before its slice (absorbing BullMQ's own promotion
 * delay), then sleeps in-process to each due time and fires everything due with one script
 * call. Checks are idempotent (fire-due decides from the session's current state), so a
 * duplicate, early or replayed job is harmless, and activity never touches the queue.
 *
 * A safety net, `reconcile`, runs at worker start and every second: anything overdue by more
 * than RECONCILE_GRACE_MS (a job lost in a crash between the slice being marked and the job
 * being added, or a restart after SIGKILL) is fired at once. It is also what fires the
 * deadlines that came due while Redis was down or stalled, on its first pass after Redis is
 * back; meanwhile its failures, and the worker's, are logged without a stack (FailureLog).
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { SLICE_MS, type ScriptedRedis } from '../redis/scripts.js';
import { SliceResult } from '../redis/results.js';
import type { Metrics } from '../metrics.js';
import { FailureLog } from '../redis/connect.js';

const LEAD_MS = 400;
const MAX_SLEEP_MS = 50;
const BATCH = 500;
const RECONCILE_EVERY_MS = 1000;
const RECONCILE_GRACE_MS = 500;
export const TIMER_QUEUE = 'vigil-timers';

interface SliceJob {
  realm: string;
  slice: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TimerWheel {
  readonly queue: Queue<SliceJob>;
  private worker: Worker<SliceJob> | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private reconciling = false;
  private readonly failures: FailureLog;

  /**
   * `connection` is the worker's (BullMQ duplicates it; `maxRetriesPerRequest: null`);
   * `queueConnection`, when given, is the producer's: `schedule` runs on the request path, so
   * it should fail fast while Redis is unavailable (a slice marked but without its job is
   * what `reconcile` covers).
   */
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly connection: Redis,
    private readonly metrics: Metrics,
    private readonly log: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void },
    private readonly queueConnection: Redis = connection,
  ) {
    this.failures = new FailureLog(log);
    this.queue = new Queue<SliceJob>(TIMER_QUEUE, { connection: queueConnection, prefix: keys.bull() });
    this.queue.on('error', (err) => this.failures.report(err, {}, 'timer queue error'));
  }

  /** Adds one delayed job per newly marked slice. */
  schedule = async (realm: string, slices: number[]): Promise<void> => {
    if (!slices.length) return;
    const now = Date.now();
    await this.queue.addBulk(
      slices.map((slice) => ({
        name: 'slice',
        data: { realm, slice },
        opts: { delay: Math.max(0, slice - now - LEAD_MS), removeOnComplete: true, removeOnFail: 1000, attempts: 3, backoff: { type: 'fixed', delay: 100 } },
      })),
    );
  };

  /** Fires everything due now in a realm, in batches; returns the next check time or null. */
  async fireDue(realm: string): Promise<number | null> {
    for (;;) {
      const reply = (await this.redis.fireDue(...this.keys.script.fireDue(realm), BATCH)) as unknown[];
      const next = Number(reply[1]);
      const nFired = Number(reply[2]);
      for (let i = 0; i < nFired; i++) {
        const kind = String(reply[3 + i * 2]);
        const lateMs = Number(reply[4 + i * 2]);
        const labels = { kind: kind === 'w' ? 'warning' : 'expiry' };
        this.metrics.timerLateness.observe(labels, lateMs / 1000);
        this.metrics.timerFired.inc(labels);
      }
      await this.schedule(realm, reply.slice(3 + nFired * 2).map(Number));
      if (next < 0) return null;
      if (next > Number(reply[0])) return next; // else more were due than one batch
    }
  }

  /** One slice job: from just before the slice starts until nothing is due before its end. */
  private async processSlice(job: Job<SliceJob>): Promise<void> {
    const { realm, slice } = job.data;
    const end = slice + SLICE_MS;
    for (;;) {
      let next = await this.fireDue(realm);
      if (next === null || next >= end) {
        const left = Number(await this.redis.finishSlice(...this.keys.script.finishSlice(realm), slice, end));
        if (left === SliceResult.Closed) return;
        next = left;
      }
      const wait = next - Date.now();
      if (wait > 0) await sleep(Math.min(wait, MAX_SLEEP_MS));
      if (this.stopping) return; // the slice stays marked; reconcile on the next start covers it
    }
  }

  /** Fires what is overdue in every realm: after a restart, or if a slice job was lost. */
  async reconcile(): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      for (const realm of await this.redis.smembers(this.keys.realms())) {
        const first = await this.redis.zrange(this.keys.deadlines(realm), 0, 0, 'WITHSCORES');
        if (first.length && Number(first[1]) <= Date.now() - RECONCILE_GRACE_MS) {
          this.log.warn({ realm, overdueMs: Date.now() - Number(first[1]) }, 'firing overdue deadlines');
          await this.fireDue(realm);
        }
      }
    } catch (err) {
      this.failures.report(err, {}, 'timer reconcile failed');
    } finally {
      this.reconciling = false;
    }
  }

  async startWorker(): Promise<void> {
    this.worker = new Worker<SliceJob>(TIMER_QUEUE, (job) => this.processSlice(job), {
      connection: this.connection,
      prefix: this.keys.bull(),
      concurrency: 32,
      lockDuration: 30_000,
    });
    this.worker.on('failed', (job, err) => this.failures.report(err, { job: job?.data }, 'timer slice failed'));
    this.worker.on('error', (err) => this.failures.report(err, {}, 'timer worker error'));
    await this.worker.waitUntilReady();
    await this.reconcile();
    await this.rearm(); // a slice whose job is gone (a flushed or renamed queue) gets one again
    this.reconcileTimer = setInterval(() => void this.reconcile(), RECONCILE_EVERY_MS);
    this.redis.on('ready', this.onRedisBack);
    if (this.queueConnection !== this.redis) this.queueConnection.on('ready', this.onRedisBack);
  }

  /**
   * Redis is back after an outage: what came due meanwhile fires now, not on the next tick,
   * and the slices ahead get their jobs again (rearm), once both connections are ready.
   */
  private readonly onRedisBack = () => {
    if (this.redis.status !== 'ready' || this.queueConnection.status !== 'ready') return;
    void this.reconcile();
    this.rearm().catch((err) => this.failures.report(err, {}, 'timer re-arm failed'));
  };

  /**
   * Adds a job again for every marked slice not yet past. After a stall, a slice may be marked
   * without a job: the script that marked it (a fire-due or an activity) was already sent when
   * Redis stopped, ran when it woke, and its answer — the slices to add jobs for — went to a
   * connection dropped meanwhile. Reconcile would fire such deadlines, up to
   * RECONCILE_GRACE_MS + RECONCILE_EVERY_MS late; a job fires them on time. A duplicate job is
   * harmless (the checks are idempotent; a closed slice's job finds nothing and closes it again).
   */
  async rearm(): Promise<void> {
    for (const realm of await this.redis.smembers(this.keys.realms())) {
      const now = Date.now();
      const ahead = (await this.redis.smembers(this.keys.slices(realm))).map(Number).filter((slice) => slice + SLICE_MS > now);
      await this.schedule(realm, ahead);
    }
  }

  get running(): boolean {
    return this.worker !== null && this.worker.isRunning();
  }

  async close(): Promise<void> {
    this.stopping = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.redis.off('ready', this.onRedisBack);
    this.queueConnection.off('ready', this.onRedisBack);
    await this.worker?.close();
    await this.queue.close();
  }
}
