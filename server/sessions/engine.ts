/**
 * The session engine: every change to a session goes through one Lua script that updates it
 * and appends its event to the realm's stream atomically. Nothing about a session is held in
 * Node; Redis is the source of truth, so any number of processes can serve the same realm.
 */
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { isRedisUnavailable } from '../redis/connect.js';
import { vigilError } from '../errors.js';
import { RefreshResult, SessionResult, sessionRefusal } from '../redis/results.js';
import type { Session, SessionKind, SessionState, TerminationReason } from '../../shared/protocol.js';
import type { RealmPolicy } from '../../shared/policy.js';
import { compareStreamIds, factsOf, flatToHash, formatSession, type SessionFacts, type SessionHash } from './format.js';
import { hashToken, newId, newSessionToken, sessionIdOf } from './tokens.js';

export interface StartSessionInput {
  realm: string;
  kind: SessionKind;
  user: { id: string; username: string };
  clientId?: string | null;
  /** Seconds; console sessions: the token lifetime. Omitted: the realm policy's idle for the kind. */
  idleTimeout?: number;
  ip?: string | null;
  userAgent?: string | null;
  /** Who started it on the user's behalf (an admin minting a session with POST /sessions). */
  by?: string;
}

/** What other layers need of a live session (sessions/format.ts factsOf decodes it). */
export type { SessionFacts };

export interface ResolvedSession {
  session: SessionHash;
  user: Record<string, string>;
}

export interface ListFilter {
  user?: string;
  kind?: SessionKind;
  state?: SessionState;
  limit: number;
  cursor?: string;
}

/** Called with time slices that just got their first deadline; the timer wheel adds a job for each. */
export type SliceScheduler = (realm: string, slices: number[]) => Promise<void>;

const CHUNK = 500;
/** An offline session without Offline Session Max: a hundred years (create-session-11.lua uses the same). */
const UNLIMITED_SECONDS = 100 * 365 * 86400;

/**
 * The sessions that put their users past `limit`: each user's oldest beyond the newest `limit`
 * (by start time, then id, as create-session-11.lua orders them). A session a sign-in ends
 * meanwhile is simply gone when its turn comes; a newer one is never among them.
 */
function pastLimit(hashes: SessionHash[], limit: number): string[] {
  const byUser = new Map<string, SessionHash[]>();
  for (const h of hashes) {
    const list = byUser.get(String(h.u)) ?? [];
    list.push(h);
    byUser.set(String(h.u), list);
  }
  const out: string[] = [];
  for (const list of byUser.values()) {
    if (list.length <= limit) continue;
    list.sort((a, b) => Number(a.ca) - Number(b.ca) || (String(a.id) < String(b.id) ? -1 : 1));
    out.push(...list.slice(0, list.length - limit).map((h) => String(h.id)));
  }
  return out;
}

export class SessionEngine {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly scheduleSlices: SliceScheduler,
  ) {}

  private async slicesFrom(realm: string, reply: unknown[], from: number): Promise<void> {
    if (reply.length > from) await this.scheduleSlices(realm, reply.slice(from).map(Number));
  }

  /**
   * Starts a session. The realm's maxSessionsPerUser is applied in the same atomic step
   * (create-session-11.lua): past it, VIGIL_ERR_SESSION_LIMIT (deny-new) or the user's oldest
   * sessions end with reason session-limit (terminate-oldest).
   */
  async start(input: StartSessionInput): Promise<{ token: string; session: Session }> {
    const sid = newId('s_');
    const token = newSessionToken(sid);
    const reply = (await this.redis.createSession(
      ...this.keys.script.createSession(input.realm, sid, input.user.id), sid, hashToken(token), input.kind, input.user.id, input.user.username,
      input.clientId ?? '', input.idleTimeout ?? '', input.ip ?? '', (input.userAgent ?? '').slice(0, 256),
      input.by ? JSON.stringify({ by: { username: input.by } }) : '',
    )) as unknown[];
    // a refusal (the session limit, deny-new) is a negative result; else the first is the time
    if (Number(reply[0]) < 0) throw sessionRefusal(Number(reply[0]));
    await this.slicesFrom(input.realm, reply, 2);
    // the session as it was stored: reading it again could find it already ended by a parallel
    // sign-in of the same user past the session limit (terminate-oldest), which is no error here
    return { token, session: formatSession(input.realm, flatToHash(reply[1])!, sid) };
  }

  /**
   * The session a token belongs to, or null when unknown or ended (a session past its
   * deadline is ended right here). `touch` counts the request as activity.
   */
  async resolve(realm: string, token: string, touch: false | string = false): Promise<ResolvedSession | null> {
    const reply = (await this.redis.resolveToken(...this.keys.script.resolveToken(realm), hashToken(token), touch ? '1' : '0', touch || '', sessionIdOf(token) ?? '')) as unknown[];
    if (!reply.length) return null;
    const session = flatToHash(reply[0]);
    if (!session) return null;
    await this.slicesFrom(realm, reply, 2);
    return { session, user: (flatToHash(reply[1]) ?? {}) as Record<string, string> };
  }

  /** Records activity. Returns false when the session is gone; ignored (true) while in warning. */
  async touch(realm: string, sid: string, source: string): Promise<boolean> {
    const reply = (await this.redis.touchSession(...this.keys.script.touchSession(realm, sid), sid, source)) as unknown[];
    const r = Number(reply[0]);
    // a trailing activity announcement may need its slice's timer job (includes/common.lua recordActivity)
    await this.slicesFrom(realm, reply, 1);
    return r === SessionResult.Ok || r === SessionResult.Unchanged;
  }

  async extend(realm: string, sid: string): Promise<Session> {
    const reply = (await this.redis.extendSession(...this.keys.script.extendSession(realm, sid), sid)) as unknown[];
    const result = Number(reply[0]);
    if (result !== SessionResult.Ok) throw sessionRefusal(result);
    await this.slicesFrom(realm, reply, 2);
    const s = await this.get(realm, sid, sid);
    if (!s) throw sessionRefusal(SessionResult.NoSession);
    return s;
  }

  /** Ends a session with its final event. `onlyUserId` restricts it to that user's sessions. */
  async end(realm: string, sid: string, name: 'session.terminated' | 'session.ended', data: Record<string, unknown>, onlyUserId = ''): Promise<boolean> {
    return Number(await this.redis.endSession(...this.keys.script.endSession(realm, sid), sid, name, JSON.stringify(data), onlyUserId)) === SessionResult.Ok;
  }

  async terminate(realm: string, sid: string, reason: TerminationReason, by: string | null, onlyUserId = ''): Promise<boolean> {
    return this.end(realm, sid, 'session.terminated', { reason, by: by ? { username: by } : null }, onlyUserId);
  }

  /** Terminates many sessions, in pipelined chunks; returns how many ended. */
  async terminateMany(realm: string, sids: string[], reason: TerminationReason, by: string | null): Promise<number> {
    let n = 0;
    const data = JSON.stringify({ reason, by: by ? { username: by } : null });
    for (let i = 0; i < sids.length; i += CHUNK) {
      const p = this.redis.pipeline();
      for (const sid of sids.slice(i, i + CHUNK)) (p as unknown as ScriptedRedis).endSession(...this.keys.script.endSession(realm, sid), sid, 'session.terminated', data, '');
      let down: Error | null = null;
      for (const [err, res] of (await p.exec()) ?? []) {
        if (err && isRedisUnavailable(err)) down ??= err;
        if (!err && Number(res) === SessionResult.Ok) n++;
      }
      if (down) throw down; // an outage is not "none ended"; a retry ends the rest
    }
    return n;
  }

  /** Applies a new idle timeout and/or hard limit to live sessions at once (pipelined). */
  async reapply(realm: string, sids: string[], idleTimeout: number | null, maxSeconds: number | null): Promise<void> {
    for (let i = 0; i < sids.length; i += CHUNK) {
      const p = this.redis.pipeline();
      for (const sid of sids.slice(i, i + CHUNK)) {
        (p as unknown as ScriptedRedis).setIdleTimeout(...this.keys.script.setIdleTimeout(realm, sid), sid, idleTimeout ?? '', maxSeconds ?? '');
      }
      let down: Error | null = null;
      for (const [err, res] of (await p.exec()) ?? []) {
        if (err && isRedisUnavailable(err)) down ??= err;
        if (!err && Array.isArray(res)) await this.slicesFrom(realm, res, 2);
      }
      if (down) throw down;
    }
  }

  /** A new token lifetime applies at once to the user's live console sessions. */
  async applyTokenLifetime(realm: string, userId: string, tokenLifetime: number): Promise<void> {
    const hashes = await this.hashes(realm, await this.userSessionIds(realm, userId));
    await this.reapply(realm, hashes.filter((h) => h.k === 'console').map((h) => String(h.id)), tokenLifetime, null);
  }

  /**
   * Policy changes apply to live sessions at once: idle and max limits by kind, and the prompt;
   * and under a session limit with terminate-oldest, each user's sessions past it end, oldest
   * first (session-limit), as a sign-in would end them. deny-new never ends a session: it only
   * refuses new ones.
   */
  async applyPolicy(realm: string, policy: RealmPolicy): Promise<void> {
    const hashes = await this.hashes(realm, await this.sessionIds(realm));
    const group = (k: SessionKind) => hashes.filter((h) => h.k === k).map((h) => String(h.id));
    await this.reapply(realm, group('console'), null, policy.consoleSessionMax);
    await this.reapply(realm, group('sso'), policy.ssoSessionIdle, policy.ssoSessionMax);
    await this.reapply(realm, group('offline'), policy.offlineSessionIdle, policy.offlineSessionMaxEnabled ? policy.offlineSessionMax : UNLIMITED_SECONDS);
    if (policy.maxSessionsPerUser > 0 && policy.sessionLimitBehavior === 'terminate-oldest') {
      await this.terminateMany(realm, pastLimit(hashes, policy.maxSessionsPerUser), 'session-limit', null);
    }
  }

  /**
   * What other layers need of a live session without formatting it (the short field names stay
   * in sessions/): kind, owner, limits and state; null when it has ended.
   */
  async facts(realm: string, sid: string): Promise<SessionFacts | null> {
    const [k, u, it, mx, ca, st, wr] = await this.redis.hmget(this.keys.session(realm, sid), 'k', 'u', 'it', 'mx', 'ca', 'st', 'wr');
    return factsOf({ k: k ?? '', u: u ?? '', it: it ?? '', mx: mx ?? '', ca: ca ?? '', st: st ?? '', wr: wr ?? '' });
  }

  /**
   * Redeems an OIDC refresh token's generation against its client session (oidc-refresh-10.lua:
   * rotation, reuse detection, and the refresh counted as activity), all in one atomic step.
   */
  async refreshClientSession(
    realm: string, sid: string, clientId: string, generation: number, rotate: boolean, maxReuse: number, data: Record<string, unknown>,
  ): Promise<{ result: typeof RefreshResult.Ok; generation: number; facts: SessionFacts } | { result: Exclude<RefreshResult, typeof RefreshResult.Ok> }> {
    const reply = (await this.redis.oidcRefresh(
      ...this.keys.script.oidcRefresh(realm, sid, clientId), sid, clientId, generation, rotate ? '1' : '0', maxReuse, JSON.stringify(data),
    )) as unknown[];
    const result = Number(reply[0]) as RefreshResult;
    if (result !== RefreshResult.Ok) return { result };
    await this.slicesFrom(realm, reply, 3);
    const facts = factsOf(flatToHash(reply[2]) ?? {});
    if (!facts) return { result: RefreshResult.NoSession };
    return { result, generation: Number(reply[1]), facts };
  }

  async get(realm: string, sid: string, currentSessionId: string | null = null): Promise<Session | null> {
    const h = (await this.redis.hgetall(this.keys.session(realm, sid))) as SessionHash;
    return h.id ? formatSession(realm, h, currentSessionId) : null;
  }

  async hashes(realm: string, sids: string[]): Promise<SessionHash[]> {
    const out: SessionHash[] = [];
    for (let i = 0; i < sids.length; i += CHUNK) {
      const p = this.redis.pipeline();
      for (const sid of sids.slice(i, i + CHUNK)) p.hgetall(this.keys.session(realm, sid));
      for (const [err, h] of (await p.exec()) ?? []) {
        // a pipeline answers each command's error rather than throwing: an outage is not an empty list
        if (err && isRedisUnavailable(err)) throw err;
        if (!err && h && (h as SessionHash).id) out.push(h as SessionHash);
      }
    }
    return out;
  }

  /** Every live session has exactly one entry in the deadline set, so it doubles as the index. */
  async sessionIds(realm: string): Promise<string[]> {
    return this.redis.zrange(this.keys.deadlines(realm), 0, -1);
  }

  async userSessionIds(realm: string, userId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.userSessions(realm, userId));
  }

  /** Lists sessions ordered by start time, filtered, with an opaque resumable cursor. */
  async list(realm: string, filter: ListFilter, currentSessionId: string | null): Promise<{ sessions: Session[]; nextCursor: string | null }> {
    let after: { ca: number; id: string } | null = null;
    if (filter.cursor) {
      try {
        const [ca, id] = Buffer.from(filter.cursor, 'base64url').toString().split('|');
        if (!id || !Number.isFinite(Number(ca))) throw new Error('bad');
        after = { ca: Number(ca), id };
      } catch {
        throw vigilError('VIGIL_ERR_VALIDATION', 'cursor is not a cursor this server returned');
      }
    }
    const ids = filter.user ? await this.userSessionIds(realm, filter.user) : await this.sessionIds(realm);
    const hashes = await this.hashes(realm, ids);
    const rows = hashes
      .filter((h) => (!filter.kind || h.k === filter.kind) && (!filter.state || (filter.state === 'warning') === (h.st === 'w')))
      // ids compare by code unit, as the cursor filter below does (localeCompare orders 'a'
      // before 'B': pages of sessions started in the same millisecond skipped and repeated some)
      .sort((a, b) => Number(a.ca) - Number(b.ca) || (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0))
      .filter((h) => !after || Number(h.ca) > after.ca || (Number(h.ca) === after.ca && String(h.id) > after.id));
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > filter.limit && last ? Buffer.from(`${last.ca}|${last.id}`).toString('base64url') : null;
    return { sessions: page.map((h) => formatSession(realm, h, currentSessionId)), nextCursor };
  }

  /** The stream position now: every event after it is newer than a snapshot read after it. */
  async cursor(realm: string): Promise<string> {
    const last = (await this.redis.xrevrange(this.keys.events(realm), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    return last[0]?.[0] ?? '0-0';
  }

  async emit(realm: string, name: string, data: Record<string, unknown>, sessionId: string | null = null, sessionHash: SessionHash | null = null): Promise<string> {
    return String(await this.redis.emitEvent(...this.keys.script.emitEvent(realm), name, sessionId ?? '', JSON.stringify(data), sessionHash ? JSON.stringify(sessionHash) : ''));
  }

  /**
   * Whether every event after `cursor` is still in the stream: the cursor is not older than the
   * newest entry trimmed away, and not newer than the newest entry written.
   */
  async cursorAvailable(realm: string, cursor: string): Promise<boolean> {
    let info: unknown[];
    try {
      info = (await this.redis.xinfo('STREAM', this.keys.events(realm))) as unknown[];
    } catch {
      return cursor === '0-0'; // no stream yet: only "from the beginning" is meaningful
    }
    const field = (name: string) => String(info[info.indexOf(name) + 1] ?? '0-0');
    return compareStreamIds(cursor, field('max-deleted-entry-id')) >= 0 && compareStreamIds(cursor, field('last-generated-id')) <= 0;
  }
}
