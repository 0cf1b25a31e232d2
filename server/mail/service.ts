/**
 * Outgoing mail. Each message is recorded in its realm's outbox (outbox.ts) and, when an SMTP
 * server is configured, delivered by one BullMQ job: a job that fails (the server down,
 * refusing, timing out) is retried with exponential backoff — 1 s, 2 s, 4 s … at most
 * MAX_BACKOFF_MS apart, MAIL_ATTEMPTS times (about 8 hours) — so neither a crash nor an SMTP
 * outage loses a message. Every attempt's outcome is written back to the outbox and announced
 * (mail.sent, mail.failed: admins only). With no SMTP server, mail stays queued in the outbox.
 */
import { Queue, Worker, type Job } from 'bullmq';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import type { SessionEngine } from '../sessions/engine.js';
import { FailureLog } from '../redis/connect.js';
import { Outbox, type NewMessage } from './outbox.js';

export const MAIL_QUEUE = 'vigil-mail';
export const MAIL_ATTEMPTS = 100;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** The wait before retry number `attemptsMade` (1 after the first failure). */
export function mailBackoff(attemptsMade: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, attemptsMade - 1), MAX_BACKOFF_MS);
}

interface MailJob {
  realm: string;
  id: string;
}

type Log = { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };

export interface MailSettings {
  smtpUrl: string | null;
  mailFrom: string | null;
  publicUrl: () => string;
}

export class MailService {
  readonly outbox: Outbox;
  readonly queue: Queue<MailJob>;
  private worker: Worker<MailJob> | null = null;
  private readonly transport: Transporter | null;
  private readonly failures: FailureLog;

  /** `connection` is the worker's (BullMQ's kind); `queueConnection` the producer's, on the request path. */
  constructor(
    redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly engine: SessionEngine,
    private readonly settings: MailSettings,
    private readonly connection: Redis,
    queueConnection: Redis,
    private readonly log: Log,
  ) {
    this.outbox = new Outbox(redis, keys);
    this.failures = new FailureLog(log);
    this.queue = new Queue<MailJob>(MAIL_QUEUE, { connection: queueConnection, prefix: keys.bull() });
    this.queue.on('error', (err) => this.failures.report(err, {}, 'mail queue error'));
    this.transport = settings.smtpUrl
      ? nodemailer.createTransport({ url: settings.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as never)
      : null;
  }

  /** Whether mail leaves the outbox at all. */
  get delivers(): boolean {
    return this.transport !== null;
  }

  /** `VIGIL_MAIL_FROM`, else vigil@{public host}. */
  from(): string {
    return this.settings.mailFrom ?? `vigil@${new URL(this.settings.publicUrl()).hostname}`;
  }

  /** Records a message in the outbox and, with SMTP configured, queues its delivery; returns its id. */
  async send(realm: string, m: NewMessage): Promise<string> {
    const id = await this.outbox.add(realm, m);
    if (this.transport) {
      await this.queue.add('deliver', { realm, id }, {
        jobId: id, attempts: MAIL_ATTEMPTS, backoff: { type: 'mail' }, removeOnComplete: true, removeOnFail: 1000,
      });
    }
    return id;
  }

  private async deliver(job: Job<MailJob>): Promise<void> {
    const { realm, id } = job.data;
    const m = await this.outbox.get(realm, id);
    if (!m || m.status === 'sent') return; // no longer kept, or a replayed job
    const attempts = job.attemptsMade + 1;
    const about = { messageId: id, to: m.to, subject: m.subject, username: m.user.username };
    try {
      await this.transport!.sendMail({ from: this.from(), to: m.to, subject: m.subject, text: m.text, html: m.html });
    } catch (err) {
      const error = (err as Error).message.slice(0, 500);
      const final = attempts >= (job.opts.attempts ?? 1);
      await this.outbox.record(realm, id, { status: final ? 'failed' : 'queued', attempts, error });
      await this.engine.emit(realm, 'mail.failed', { ...about, attempts, error, final });
      throw err;
    }
    await this.outbox.record(realm, id, { status: 'sent', attempts });
    await this.engine.emit(realm, 'mail.sent', { ...about, attempts });
  }

  async startWorker(): Promise<void> {
    if (!this.transport || this.worker) return;
    this.worker = new Worker<MailJob>(MAIL_QUEUE, (job) => this.deliver(job), {
      connection: this.connection,
      prefix: this.keys.bull(),
      concurrency: 4,
      settings: { backoffStrategy: (attemptsMade: number) => mailBackoff(attemptsMade) },
    });
    // an SMTP outage is expected weather, not a bug: one line per attempt, no stack
    this.worker.on('failed', (job, err) => this.log.warn({ message: job?.data.id, attempts: job?.attemptsMade, err: err.message }, 'mail delivery failed'));
    this.worker.on('error', (err) => this.failures.report(err, {}, 'mail worker error'));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.transport?.close();
  }
}
