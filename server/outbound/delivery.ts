/**
 * Outbound delivery: webhooks and OIDC Back-Channel Logout, at least once, surviving a crash.
 *
 * Each enabled webhook, and each realm's back-channel logout, is a *consumer* of the realm's
 * event stream with a cursor in Redis (the last event it is done with; keys.outboundCursors).
 * A consumer is drained by one BullMQ job at a time (the job id is the consumer's, so adding
 * it again while it waits, runs or backs off is a no-op): the job reads the stream after the
 * cursor and, for a webhook, POSTs each matching event in stream order, moving the cursor only
 * past events that got a 2xx (written behind, FLUSH_EVERY at a time: a crash redelivers at most
 * those, as at-least-once allows). A failure puts that same job back as delayed (1 s, doubling, at most 1 h apart)
 * and it retries the same event; a webhook still failing after the retry window (24 h) is
 * disabled with `webhook.disabled`. Nothing lives only in this process: after a SIGKILL the
 * cursor, the failure state and the delayed job are in Redis, and a running job's lock lapses
 * so another worker (or this one, restarted) takes it up.
 *
 * Why a cursor per consumer rather than a job per event (ARCHITECTURE.md "Queues"): order per
 * webhook comes free (one drainer, one cursor), a receiver that is down costs one delayed job
 * instead of one per event, and the events are not copied: the stream is the queue.
 *
 * What starts a drain: a sweep every SWEEP_MS in each worker process compares every cursor with
 * the stream's newest id (one pipelined read per realm) and adds the job for each consumer
 * behind; a job that ends after draining checks again, for events appended while it finished.
 *
 * Back-channel logout's consumer does not POST: for each final event of an `sso` or `offline`
 * session whose client has a `backchannelLogoutUrl` it adds one `logout` job, retried with the
 * same backoff and window, that POSTs the signed logout token (backchannel.ts).
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { FailureLog } from '../redis/connect.js';
import { compareStreamIds, formatEvent } from '../sessions/format.js';
import type { SessionEngine } from '../sessions/engine.js';
import { eventMatches, FINAL_EVENTS, type VigilEvent, type WebhookDelivery } from '../../shared/protocol.js';
import { WebhookStore, type StoredWebhook } from './webhooks.js';
import { post, type PostOutcome } from './http.js';
import { signDelivery } from './signature.js';
import type { LogoutTokens } from './backchannel.js';
import type { Metrics } from '../metrics.js';

export const OUTBOUND_QUEUE = 'vigil-outbound';
/** The back-channel logout consumer's name among a realm's cursors (webhooks go by their id). */
export const BACKCHANNEL = 'bcl';
const SWEEP_MS = 250;
const READ_COUNT = 200;
/** A drain hands over after this long, so that one busy webhook does not hold a worker slot for ever. */
const DRAIN_SLICE_MS = 5000;
/**
 * A drain that has caught up looks again every LINGER_POLL_MS for up to LINGER_MS before it
 * ends: a busy webhook's next events go out within milliseconds instead of waiting for the
 * sweep and a new job; an idle one costs nothing once its drain has ended.
 */
const LINGER_MS = 1000;
const LINGER_POLL_MS = 20;
/** Successful deliveries are recorded, and the cursor moved, at least every this many events (and at each batch's end). */
const FLUSH_EVERY = 50;

export interface OutboundOptions {
  /** How long a delivery is retried before giving up (a webhook is then disabled); default 24 h. */
  retryWindowMs: number;
  /** The first retry's delay; each next one doubles, up to maxRetryDelayMs. */
  firstRetryMs: number;
  maxRetryDelayMs: number;
  /** A receiver's answer must come within this. */
  timeoutMs: number;
  /** VIGIL_WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
}

export const DEFAULT_OUTBOUND_OPTIONS: Omit<OutboundOptions, 'allowPrivate'> = {
  retryWindowMs: 24 * 3600_000,
  firstRetryMs: 1000,
  maxRetryDelayMs: 3600_000,
  timeoutMs: 10_000,
};

/** The wait after failed attempt number `attempt` (1, 2, …): the first retry's delay, doubling, capped. */
export function retryDelay(attempt: number, o: Pick<OutboundOptions, 'firstRetryMs' | 'maxRetryDelayMs'>): number {
  return Math.min(o.firstRetryMs * 2 ** Math.max(0, attempt - 1), o.maxRetryDelayMs);
}

interface DrainJob {
  kind: 'drain';
  realm: string;
  consumer: string;
}
interface LogoutJob {
  kind: 'logout';
  realm: string;
  clientId: string;
  url: string;
  sid: string;
  sub: string;
  /** When the session ended (ms): the retry window counts from it. */
  endedAt: number;
  attempt: number;
}
interface RedeliverJob {
  kind: 'redeliver';
  realm: string;
  webhookId: string;
  eventId: string;
}
type OutboundJob = DrainJob | LogoutJob | RedeliverJob;

interface Log {
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
  info(o: object, m: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** BullMQ job ids may not hold ':'; realm names and webhook ids never do, client ids may. */
const jobId = (...parts: string[]) => parts.map((p) => Buffer.from(p).toString('base64url')).join('.');

export class OutboundService {
  readonly queue: Queue<OutboundJob>;
  readonly webhooks: WebhookStore;
  /** Internal knobs (tests shorten the retry window); VIGIL_WEBHOOK_ALLOW_PRIVATE among them. */
  readonly options: OutboundOptions;
  private worker: Worker<OutboundJob> | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private closing = false;
  private readonly failures: FailureLog;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly engine: SessionEngine,
    private readonly logoutTokens: LogoutTokens,
    private readonly connection: Redis,
    queueConnection: Redis,
    private readonly log: Log,
    private readonly metrics: Metrics,
    options: Partial<OutboundOptions> & { allowPrivate: boolean },
  ) {
    this.options = { ...DEFAULT_OUTBOUND_OPTIONS, ...options };
    this.failures = new FailureLog(log);
    this.webhooks = new WebhookStore(redis, keys, (realm) => engine.cursor(realm), options.allowPrivate);
    this.queue = new Queue<OutboundJob>(OUTBOUND_QUEUE, { connection: queueConnection, prefix: keys.bull() });
    this.queue.on('error', (err) => this.failures.report(err, {}, 'outbound queue error'));
  }

  retryDelay(attempt: number): number {
    return retryDelay(attempt, this.options);
  }

  /** Makes sure the realm's back-channel logout consumer exists (from now on), once a client has a URL. */
  async watchBackchannel(realm: string): Promise<void> {
    const cursor = await this.engine.cursor(realm);
    // the realms set first (its own slot on a cluster): an extra member costs the sweep nothing, a missing one would miss the consumer
    await this.redis.sadd(this.keys.outboundRealms(), realm);
    await this.redis.hsetnx(this.keys.outboundCursors(realm), BACKCHANNEL, cursor);
  }

  /** Asks for one event to be delivered to a webhook again (out of order: a replay); false when the event is gone. */
  async redeliver(realm: string, webhookId: string, eventId: string): Promise<boolean> {
    const found = await this.redis.xrange(this.keys.events(realm), eventId, eventId);
    if (!found.length) return false;
    await this.queue.add('redeliver', { kind: 'redeliver', realm, webhookId, eventId }, { removeOnComplete: true, removeOnFail: 100 });
    return true;
  }

  /** A webhook changed (its URL fixed, say): a drain waiting out a backoff tries again now. */
  async retryNow(realm: string, consumer: string): Promise<void> {
    const job = await this.queue.getJob(jobId('d', realm, consumer));
    if (job && (await job.isDelayed())) await job.promote().catch(() => {});
  }

  private async addDrains(drains: Array<{ realm: string; consumer: string }>): Promise<void> {
    if (!drains.length) return;
    await this.queue.addBulk(drains.map(({ realm, consumer }) => ({
      name: 'drain',
      data: { kind: 'drain' as const, realm, consumer },
      opts: { jobId: jobId('d', realm, consumer), removeOnComplete: true, removeOnFail: true },
    })));
  }

  /** Every consumer whose cursor is behind its realm's stream gets its drain job. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const realms = await this.redis.smembers(this.keys.outboundRealms());
      if (!realms.length) return;
      // one command each (auto-pipelined), not one pipeline: each realm is a slot of its own on a cluster
      const read = await Promise.all(realms.map((realm) => Promise.all([
        this.redis.hgetall(this.keys.outboundCursors(realm)),
        this.redis.xrevrange(this.keys.events(realm), '+', '-', 'COUNT', 1),
      ])));
      const drains: Array<{ realm: string; consumer: string }> = [];
      realms.forEach((realm, i) => {
        const [cursors, newest] = read[i]!;
        const last = newest[0]?.[0];
        if (!last) return;
        for (const [consumer, cursor] of Object.entries(cursors)) if (compareStreamIds(cursor, last) < 0) drains.push({ realm, consumer });
      });
      await this.addDrains(drains);
    } catch (err) {
      this.failures.report(err, {}, 'outbound sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  private async process(job: Job<OutboundJob>, token?: string): Promise<void> {
    const d = job.data;
    if (d.kind === 'drain') return this.drain(job as Job<DrainJob>, token);
    if (d.kind === 'logout') return this.logout(job as Job<LogoutJob>, token);
    return this.redeliverOne(d);
  }

  /** The events after a consumer's cursor, oldest first. */
  private async after(realm: string, cursor: string): Promise<VigilEvent[]> {
    const entries = (await this.redis.xrange(this.keys.events(realm), `(${cursor}`, '+', 'COUNT', READ_COUNT)) as Array<[string, string[]]>;
    return entries.map(([id, fields]) => formatEvent(realm, id, fields));
  }

  private advance(realm: string, consumer: string, eventId: string): Promise<number> {
    return this.redis.outboundAdvance(...this.keys.script.outboundAdvance(realm), consumer, eventId);
  }

  private async drain(job: Job<DrainJob>, token?: string): Promise<void> {
    const { realm, consumer } = job.data;
    const until = Date.now() + DRAIN_SLICE_MS;
    let idleSince = 0;
    let first = true;
    while (Date.now() < until) {
      const cursor = await this.redis.hget(this.keys.outboundCursors(realm), consumer);
      if (cursor === null) return; // deleted or disabled meanwhile
      if (first && !(await this.engine.cursorAvailable(realm, cursor))) {
        // the stream's retention outran a consumer that was down or failing for that long: say so
        this.log.warn({ realm, consumer, cursor }, 'outbound consumer fell behind the stream\'s retention: events after its cursor were trimmed before delivery');
      }
      first = false;
      const events = await this.after(realm, cursor);
      if (!events.length) {
        idleSince ||= Date.now();
        if (Date.now() - idleSince >= LINGER_MS || this.closing) return;
        await sleep(LINGER_POLL_MS);
        continue;
      }
      idleSince = 0;
      if (consumer === BACKCHANNEL) {
        await this.queueLogouts(realm, events);
        await this.advance(realm, consumer, events[events.length - 1]!.id);
        continue;
      }
      const hook = await this.webhooks.stored(realm, consumer);
      if (!hook || !hook.enabled) return;
      // successes are written behind, a batch at a time (the log entries and the cursor in one
      // round trip): a crash before a flush delivers those events again, which at-least-once allows
      const done: WebhookDelivery[] = [];
      let upTo: string | null = null;
      const flush = async () => {
        if (upTo) await Promise.all([this.webhooks.record(realm, ...done), this.advance(realm, consumer, upTo)]);
        done.length = 0;
        upTo = null;
      };
      for (const e of events) {
        if (!hook.events.some((p) => eventMatches(p, e.name))) {
          upTo = e.id;
          continue;
        }
        const attempt = hook.failingEvent === e.id ? hook.failedAttempts + 1 : 1;
        const outcome = await this.send(hook, e);
        const d = delivery(hook.id, e.id, attempt, outcome);
        if (outcome.error === null) {
          done.push(d);
          upTo = e.id;
          if (done.length >= FLUSH_EVERY) await flush();
          if (hook.failingSince) {
            await flush();
            await this.webhooks.clearFailing(realm, hook.id);
            hook.failingSince = null;
            hook.failedAttempts = 0;
            hook.failingEvent = null;
          }
          continue;
        }
        await flush();
        await this.webhooks.record(realm, d);
        const since = hook.failingSince ? Date.parse(hook.failingSince) : Date.now();
        if (Date.now() - since >= this.options.retryWindowMs) {
          await this.disable(realm, hook, since, attempt, outcome.error);
          return;
        }
        await this.webhooks.markFailing(realm, hook.id, e.id, attempt, since);
        // the same job waits out the backoff (its id still taken, so nothing else drains this
        // webhook meanwhile) and resumes at the same event
        await job.moveToDelayed(Date.now() + this.retryDelay(attempt), token);
        throw new DelayedError();
      }
      await flush();
    }
  }

  private async send(hook: StoredWebhook, e: VigilEvent): Promise<PostOutcome> {
    const body = JSON.stringify(e);
    const outcome = await post(hook.url, { 'content-type': 'application/json', ...signDelivery(hook.secret, messageId(e), new Date(), body) }, body, this.options);
    this.metrics.outboundAttempts.inc({ kind: 'webhook', outcome: outcome.error === null ? 'ok' : 'failed' });
    return outcome;
  }

  private async disable(realm: string, hook: StoredWebhook, since: number, attempts: number, lastError: string): Promise<void> {
    if (!(await this.webhooks.disable(realm, hook.id))) return;
    this.log.warn({ realm, webhook: hook.id, url: hook.url }, 'webhook disabled: deliveries failed for the whole retry window');
    await this.engine.emit(realm, 'webhook.disabled', {
      id: hook.id, url: hook.url, reason: 'failing', failingSince: new Date(since).toISOString(), attempts, error: lastError,
    });
  }

  private async redeliverOne({ realm, webhookId, eventId }: RedeliverJob): Promise<void> {
    const hook = await this.webhooks.stored(realm, webhookId);
    if (!hook) return;
    const [entry] = (await this.redis.xrange(this.keys.events(realm), eventId, eventId)) as Array<[string, string[]]>;
    if (!entry) return;
    const e = formatEvent(realm, entry[0], entry[1]);
    const outcome = await this.send(hook, e);
    await this.webhooks.record(realm, delivery(hook.id, e.id, 1, outcome));
  }

  /** Back-channel logout's consumer: a logout job per client of each SSO or offline session that ended. */
  private async queueLogouts(realm: string, events: VigilEvent[]): Promise<void> {
    const jobs: Array<{ name: string; data: LogoutJob; opts: object }> = [];
    const urls = new Map<string, string | null>();
    for (const e of events) {
      const s = e.session;
      if (!FINAL_EVENTS.includes(e.name) || !s || (s.kind !== 'sso' && s.kind !== 'offline') || !s.clientId) continue;
      if (!urls.has(s.clientId)) urls.set(s.clientId, await this.logoutTokens.urlOf(realm, s.clientId));
      const url = urls.get(s.clientId);
      if (!url) continue;
      jobs.push({
        name: 'logout',
        data: { kind: 'logout', realm, clientId: s.clientId, url, sid: s.id, sub: s.user.id, endedAt: Date.parse(e.at), attempt: 1 },
        // one per ended session and client, however often the stream is read again
        opts: { jobId: jobId('l', realm, e.id, s.clientId), removeOnComplete: true, removeOnFail: 1000 },
      });
    }
    if (jobs.length) await this.queue.addBulk(jobs);
  }

  private async logout(job: Job<LogoutJob>, token?: string): Promise<void> {
    const d = job.data;
    const body = new URLSearchParams({ logout_token: await this.logoutTokens.sign(d.realm, d.clientId, d.sub, d.sid) }).toString();
    const outcome = await post(d.url, { 'content-type': 'application/x-www-form-urlencoded' }, body, this.options);
    this.metrics.outboundAttempts.inc({ kind: 'logout', outcome: outcome.error === null ? 'ok' : 'failed' });
    if (outcome.error === null) return;
    if (Date.now() - d.endedAt >= this.options.retryWindowMs) {
      this.log.warn({ realm: d.realm, clientId: d.clientId, sid: d.sid, attempts: d.attempt, error: outcome.error }, 'back-channel logout given up after the retry window');
      return;
    }
    await job.updateData({ ...d, attempt: d.attempt + 1 });
    await job.moveToDelayed(Date.now() + this.retryDelay(d.attempt), token);
    throw new DelayedError();
  }

  async startWorker(): Promise<void> {
    this.worker = new Worker<OutboundJob>(OUTBOUND_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: this.keys.bull(),
      concurrency: 32,
      // a worker killed mid-drain: its job is taken up again once the lock lapses (≤ 5 s) and
      // the next stalled check runs (every 2 s); a live worker renews it every 2.5 s
      lockDuration: 5_000,
      stalledInterval: 2_000,
      maxStalledCount: 1_000_000,
    });
    this.worker.on('completed', (job) => {
      // events appended while the drain was finishing: drain again
      if (job.data.kind === 'drain') void this.sweep();
    });
    this.worker.on('failed', (job, err) => this.failures.report(err, { job: job?.data }, 'outbound job failed'));
    this.worker.on('error', (err) => this.failures.report(err, {}, 'outbound worker error'));
    await this.worker.waitUntilReady();
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
  }

  get running(): boolean {
    return this.worker !== null && this.worker.isRunning();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.worker?.close();
    await this.queue.close();
  }
}

/**
 * The Standard Webhooks message id of an event: `<realm>:<event id>`. The same for every attempt
 * and redelivery (receivers deduplicate by it), and unique across realms, whose stream ids can
 * coincide (one receiver may take the webhooks of several realms).
 */
export function messageId(e: VigilEvent): string {
  return `${e.realm}:${e.id}`;
}

function delivery(webhookId: string, eventId: string, attempt: number, o: PostOutcome): WebhookDelivery {
  return { webhookId, eventId, attempt, statusCode: o.statusCode, durationMs: o.durationMs, error: o.error, at: new Date().toISOString() };
}
