/**
 * A realm's outbox: every message Vigil sends, with what became of it (queued, sent, failed)
 * and how many delivery attempts it took. The mail jobs (mail/service.ts) record here; with no
 * SMTP server configured this is where mail stays, so every flow can be tried without one.
 * The newest MAX_MESSAGES per realm are kept, each for at most KEEP_MS.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { newId } from '../sessions/tokens.js';
import { iso } from '../sessions/format.js';

import type { OutboxMessage } from '../../shared/protocol.js';

export type { OutboxMessage };
export type MailStatus = OutboxMessage['status'];

/** What a message is about, kept for the mail events (each names the user). */
export interface MailSubject {
  userId: string;
  username: string;
}

export interface NewMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  user: MailSubject;
}

const MAX_MESSAGES = 1000;
const KEEP_MS = 30 * 24 * 3600 * 1000;

function parse(h: Record<string, string>): (OutboxMessage & { user: MailSubject }) | null {
  if (!h.id) return null;
  return {
    id: h.id, to: h.to!, subject: h.subject!, text: h.text!, html: h.html!, status: h.status as MailStatus,
    attempts: Number(h.attempts ?? 0), createdAt: iso(h.createdAt),
    ...(h.error ? { error: h.error } : {}), ...(h.sentAt ? { sentAt: iso(h.sentAt) } : {}),
    user: { userId: h.userId ?? '', username: h.username ?? '' },
  };
}

export class Outbox {
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  /** Records a new message as queued; returns its id. */
  async add(realm: string, m: NewMessage): Promise<string> {
    const id = newId('m_', 12);
    const now = Date.now();
    const index = this.keys.outbox(realm);
    await this.redis.multi()
      .hset(this.keys.outboxMessage(realm, id), {
        id, to: m.to, subject: m.subject, text: m.text, html: m.html, status: 'queued', attempts: '0', createdAt: String(now),
        userId: m.user.userId, username: m.user.username,
      })
      .pexpire(this.keys.outboxMessage(realm, id), KEEP_MS)
      .zadd(index, now, id)
      .exec();
    // past the limit, the oldest go (their hashes too)
    const old = await this.redis.zrange(index, 0, -MAX_MESSAGES - 1);
    if (old.length) await this.redis.multi().zrem(index, ...old).del(...old.map((o) => this.keys.outboxMessage(realm, o))).exec();
    return id;
  }

  async get(realm: string, id: string): Promise<(OutboxMessage & { user: MailSubject }) | null> {
    return parse(await this.redis.hgetall(this.keys.outboxMessage(realm, id)));
  }

  /** Newest first. */
  async list(realm: string, limit = 100): Promise<OutboxMessage[]> {
    const ids = await this.redis.zrevrange(this.keys.outbox(realm), 0, limit - 1);
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.keys.outboxMessage(realm, id));
    const out: OutboxMessage[] = [];
    const gone: string[] = [];
    for (const [i, [, h]] of ((await p.exec()) ?? []).entries()) {
      const m = parse(h as Record<string, string>);
      if (m) out.push(publicMessage(m));
      else gone.push(ids[i]!);
    }
    if (gone.length) await this.redis.zrem(this.keys.outbox(realm), ...gone);
    return out;
  }

  /** One delivery attempt's outcome. Nothing is recorded for a message no longer kept. */
  async record(realm: string, id: string, outcome: { status: MailStatus; attempts: number; error?: string }): Promise<void> {
    const key = this.keys.outboxMessage(realm, id);
    if (!(await this.redis.exists(key))) return;
    const set: Record<string, string> = { status: outcome.status, attempts: String(outcome.attempts) };
    if (outcome.error) set.error = outcome.error;
    if (outcome.status === 'sent') set.sentAt = String(Date.now());
    const m = this.redis.multi().hset(key, set);
    if (outcome.status === 'sent') m.hdel(key, 'error');
    await m.exec();
  }
}

export function publicMessage(m: OutboxMessage & { user?: MailSubject }): OutboxMessage {
  const { user: _omit, ...rest } = m;
  return rest;
}
