/**
 * A realm's webhooks, as stored in Redis: a hash per webhook and a set of ids; the signing
 * secret (`whsec_…`) is kept so that deliveries can be signed, and returned only by `create`.
 * An enabled webhook is a consumer of the realm's event stream: its cursor (the last event it
 * is done with) lives in the realm's outbound cursors hash, which delivery.ts drains.
 *
 * Hash fields: id, url, events (JSON), description, secret, enabled ("1"/"0"), createdAt (ms),
 * fs (failing since, ms), fa (attempts at the failing event), fe (the failing event's id).
 */
import { randomBytes } from 'node:crypto';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { vigilError } from '../errors.js';
import { newId } from '../sessions/tokens.js';
import { iso } from '../sessions/format.js';
import type { Webhook, WebhookDelivery } from '../../shared/protocol.js';
import { destinationProblem } from './ssrf.js';

/** How many attempts a webhook's delivery log keeps (newest first). */
export const DELIVERY_LOG_LENGTH = 200;
export const WEBHOOK_ID = /^wh_[A-Za-z0-9_-]{1,40}$/;

export interface StoredWebhook extends Webhook {
  secret: string;
  /** Attempts made at the failing event (`failingEvent`), 0 when none fails. */
  failedAttempts: number;
  failingEvent: string | null;
}

export interface WebhookInput {
  url?: string;
  events?: string[];
  description?: string;
  enabled?: boolean;
}

function parse(h: Record<string, string>): StoredWebhook | null {
  if (!h.id || !h.url) return null;
  return {
    id: h.id, url: h.url, events: JSON.parse(h.events ?? '[]') as string[], description: h.description ?? '',
    enabled: h.enabled === '1', createdAt: iso(h.createdAt), failingSince: h.fs ? iso(h.fs) : null,
    secret: h.secret ?? '', failedAttempts: Number(h.fa ?? 0), failingEvent: h.fe || null,
  };
}

export function publicWebhook(w: StoredWebhook): Webhook {
  const { secret: _secret, failedAttempts: _fa, failingEvent: _fe, ...rest } = w;
  return rest;
}

export class WebhookStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    /** The realm's stream position now: a new (or re-enabled) webhook gets the events after it. */
    private readonly tail: (realm: string) => Promise<string>,
    private readonly allowPrivate: boolean,
  ) {}

  private checkUrl(url: string): void {
    const problem = destinationProblem(url, this.allowPrivate);
    if (problem) throw vigilError('VIGIL_ERR_VALIDATION', `url ${problem}`);
  }

  async stored(realm: string, id: string): Promise<StoredWebhook | null> {
    if (!WEBHOOK_ID.test(id)) return null;
    return parse(await this.redis.hgetall(this.keys.webhook(realm, id)));
  }

  async get(realm: string, id: string): Promise<Webhook | null> {
    const w = await this.stored(realm, id);
    return w ? publicWebhook(w) : null;
  }

  async list(realm: string): Promise<Webhook[]> {
    const ids = await this.redis.smembers(this.keys.webhooks(realm));
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.keys.webhook(realm, id));
    const out: Webhook[] = [];
    for (const [err, h] of (await p.exec()) ?? []) {
      const w = !err ? parse(h as Record<string, string>) : null;
      if (w) out.push(publicWebhook(w));
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Registers a webhook, delivering the events after now; the answer carries its secret, the only time. */
  async create(realm: string, input: Required<Pick<WebhookInput, 'url' | 'events'>> & WebhookInput): Promise<Webhook & { secret: string }> {
    this.checkUrl(input.url);
    const id = newId('wh_', 12);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const enabled = input.enabled !== false;
    const cursor = await this.tail(realm);
    // the realms set is in a slot of its own on a cluster, so not in the MULTI; first: an extra member costs nothing
    if (enabled) await this.redis.sadd(this.keys.outboundRealms(), realm);
    const m = this.redis.multi()
      .hset(this.keys.webhook(realm, id), {
        id, url: input.url, events: JSON.stringify([...new Set(input.events)]), description: input.description ?? '',
        secret, enabled: enabled ? '1' : '0', createdAt: String(Date.now()),
      })
      .sadd(this.keys.webhooks(realm), id);
    if (enabled) m.hset(this.keys.outboundCursors(realm), id, cursor);
    await m.exec();
    return { ...publicWebhook((await this.stored(realm, id))!), secret };
  }

  /**
   * Changes a webhook. Disabling stops its deliveries (its cursor goes); enabling one that was
   * disabled delivers the events from now on, with its failure state cleared.
   */
  async patch(realm: string, id: string, input: WebhookInput): Promise<Webhook> {
    const before = await this.stored(realm, id);
    if (!before) throw vigilError('VIGIL_ERR_NOT_FOUND', `no webhook ${id} in realm ${realm}`);
    if (input.url !== undefined) this.checkUrl(input.url);
    const set: Record<string, string> = {};
    if (input.url !== undefined) set.url = input.url;
    if (input.events !== undefined) set.events = JSON.stringify([...new Set(input.events)]);
    if (input.description !== undefined) set.description = input.description;
    const m = this.redis.multi();
    if (input.enabled === false && before.enabled) {
      set.enabled = '0';
      m.hdel(this.keys.outboundCursors(realm), id);
    } else if (input.enabled === true && !before.enabled) {
      set.enabled = '1';
      m.hdel(this.keys.webhook(realm, id), 'fs', 'fa', 'fe');
      await this.redis.sadd(this.keys.outboundRealms(), realm);
      m.hset(this.keys.outboundCursors(realm), id, await this.tail(realm));
    }
    if (Object.keys(set).length) m.hset(this.keys.webhook(realm, id), set);
    await m.exec();
    return publicWebhook((await this.stored(realm, id))!);
  }

  async remove(realm: string, id: string): Promise<boolean> {
    if (!WEBHOOK_ID.test(id)) return false;
    const res = (await this.redis.multi()
      .srem(this.keys.webhooks(realm), id)
      .del(this.keys.webhook(realm, id), this.keys.webhookDeliveries(realm, id))
      .hdel(this.keys.outboundCursors(realm), id)
      .exec()) ?? [];
    return Number(res[0]?.[1]) === 1;
  }

  /** Records a failed attempt at `eventId`: since when the webhook fails, and how many attempts it has had. */
  async markFailing(realm: string, id: string, eventId: string, attempt: number, sinceMs: number): Promise<void> {
    await this.redis.hset(this.keys.webhook(realm, id), { fs: String(sinceMs), fa: String(attempt), fe: eventId });
  }

  async clearFailing(realm: string, id: string): Promise<void> {
    await this.redis.hdel(this.keys.webhook(realm, id), 'fs', 'fa', 'fe');
  }

  /** Disables a webhook that failed for the whole retry window; false when it was not enabled. */
  async disable(realm: string, id: string): Promise<boolean> {
    const [[, n]] = ((await this.redis.multi().hdel(this.keys.outboundCursors(realm), id).hset(this.keys.webhook(realm, id), 'enabled', '0').exec()) ?? [[null, 0]]) as Array<[unknown, number]>;
    return Number(n) === 1;
  }

  /** Adds attempts (oldest first) to the webhook's log, which keeps the newest DELIVERY_LOG_LENGTH. */
  async record(realm: string, ...attempts: WebhookDelivery[]): Promise<void> {
    if (!attempts.length) return;
    const key = this.keys.webhookDeliveries(realm, attempts[0]!.webhookId);
    const recent = attempts.slice(-DELIVERY_LOG_LENGTH).map((d) => JSON.stringify(d));
    await this.redis.multi().lpush(key, ...recent).ltrim(key, 0, DELIVERY_LOG_LENGTH - 1).exec();
  }

  async deliveries(realm: string, id: string): Promise<WebhookDelivery[]> {
    return (await this.redis.lrange(this.keys.webhookDeliveries(realm, id), 0, -1)).map((s) => JSON.parse(s) as WebhookDelivery);
  }
}
