/**
 * The client → server half of the real-time protocol, shared by both transports: message
 * validation, role checks per topic, and activity / extend on the caller's own session.
 */
import { vigilError, isVigilError, errorBody } from '../errors.js';
import type { Hub } from './hub.js';
import type { SessionEngine } from '../sessions/engine.js';
import { hasRole } from '../auth/principal.js';
import type { RealtimeClient } from './client.js';
import { CLIENT_MESSAGE_TYPES, MAX_REF_LENGTH, SESSION_DETAILS, SESSION_KINDS, TOPICS, type SessionDetail, type SessionFilter, type SessionKind, type Topic } from '../../shared/protocol.js';
import { USERNAME } from '../../shared/accounts.js';
import { STREAM_ID } from '../sessions/format.js';
import { isRedisUnavailable, UNAVAILABLE_MESSAGE } from '../redis/connect.js';

/** The messages this handler answers; `auth` is the connection's own. */
const HANDLED = ['subscribe', 'unsubscribe', 'activity', 'extend'] as const;

export type Answer = { ok: true; [k: string]: unknown } | { ok: false; error: ReturnType<typeof errorBody> };

export class ProtocolHandler {
  constructor(private readonly hub: Hub, private readonly engine: SessionEngine) {}

  /**
   * Handles one parsed message from an authenticated client. Returns the answer for the
   * message (the transport decides how to send it); throws nothing.
   */
  async handle(client: RealtimeClient, msg: Record<string, unknown>): Promise<Answer> {
    try {
      return await this.dispatch(client, msg);
    } catch (err) {
      if (isVigilError(err)) return { ok: false, error: errorBody(err) };
      if (isRedisUnavailable(err)) return { ok: false, error: errorBody(vigilError('VIGIL_ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE)) };
      throw err;
    }
  }

  private async dispatch(client: RealtimeClient, msg: Record<string, unknown>): Promise<Answer> {
    const p = client.principal!;
    const type = msg.type;
    const problem = refProblem(msg.ref);
    if (problem) throw vigilError('VIGIL_ERR_BAD_MESSAGE', problem);
    // `auth` never gets here: the connection itself handles it (connection.ts)
    if (typeof type !== 'string' || !(HANDLED as readonly string[]).includes(type)) {
      throw vigilError('VIGIL_ERR_BAD_MESSAGE', `unknown message type ${JSON.stringify(type)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`);
    }
    switch (type as (typeof HANDLED)[number]) {
      case 'subscribe': {
        const topic = this.topic(msg);
        const since = msg.since;
        if (since !== undefined && (typeof since !== 'string' || !STREAM_ID.test(since))) {
          throw vigilError('VIGIL_ERR_VALIDATION', 'since must be a cursor from a snapshot, synced or event id');
        }
        if (topic === 'sessions' && !hasRole(p, 'viewer')) throw vigilError('VIGIL_ERR_FORBIDDEN', 'the sessions topic needs the viewer role');
        if (topic === 'self' && !p.sessionId) throw vigilError('VIGIL_ERR_FORBIDDEN', 'the self topic needs a session token');
        // the wall's counters: viewer, as GET /stats (a display key is a viewer credential)
        if (topic === 'stats' && !hasRole(p, 'viewer')) throw vigilError('VIGIL_ERR_FORBIDDEN', 'the stats topic needs the viewer role');
        if (topic === 'stats' && since !== undefined) throw vigilError('VIGIL_ERR_VALIDATION', 'since is for sessions and self: the stats topic has no cursor');
        const filter = msg.filter === undefined ? null : this.filter(topic, msg.filter);
        const detail = msg.detail === undefined ? 'full' : this.detail(topic, msg.detail);
        await this.hub.subscribe(client, topic, since, msg.ref, filter, detail);
        return { ok: true };
      }
      case 'unsubscribe':
        this.hub.unsubscribe(client, this.topic(msg));
        return { ok: true };
      case 'activity': {
        if (!p.sessionId) throw vigilError('VIGIL_ERR_FORBIDDEN', 'activity needs a session token');
        if (!(await this.engine.touch(p.realm, p.sessionId, 'ws'))) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'The session has ended');
        return { ok: true };
      }
      case 'extend': {
        if (!p.sessionId) throw vigilError('VIGIL_ERR_FORBIDDEN', 'extend needs a session token');
        const session = await this.engine.extend(p.realm, p.sessionId);
        return { ok: true, session: { ...session, current: true } };
      }
    }
  }

  private detail(topic: Topic, raw: unknown): SessionDetail {
    if (topic !== 'sessions') throw vigilError('VIGIL_ERR_VALIDATION', 'detail is only for the sessions topic');
    if (!(SESSION_DETAILS as readonly unknown[]).includes(raw)) throw vigilError('VIGIL_ERR_VALIDATION', `detail must be one of ${SESSION_DETAILS.join(', ')}`);
    return raw as SessionDetail;
  }

  /** `filter` of a sessions subscribe: an object of user, kind and clientId, each optional. */
  private filter(topic: Topic, raw: unknown): SessionFilter | null {
    const rule = 'filter must be an object with any of user (a username), kind (console, sso or offline) and clientId (a string)';
    if (topic !== 'sessions') throw vigilError('VIGIL_ERR_VALIDATION', 'filter is only for the sessions topic');
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw vigilError('VIGIL_ERR_VALIDATION', rule);
    const { user, kind, clientId, ...rest } = raw as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw vigilError('VIGIL_ERR_VALIDATION', `filter.${unknown} is not a filter field; ${rule}`);
    if (user !== undefined && (typeof user !== 'string' || !USERNAME.test(user))) throw vigilError('VIGIL_ERR_VALIDATION', 'filter.user must be a username');
    if (kind !== undefined && !(SESSION_KINDS as readonly unknown[]).includes(kind)) throw vigilError('VIGIL_ERR_VALIDATION', `filter.kind must be one of ${SESSION_KINDS.join(', ')}`);
    if (clientId !== undefined && (typeof clientId !== 'string' || !clientId || clientId.length > 200)) throw vigilError('VIGIL_ERR_VALIDATION', 'filter.clientId must be a client id');
    const f: SessionFilter = {};
    if (user !== undefined) f.user = user as string;
    if (kind !== undefined) f.kind = kind as SessionKind;
    if (clientId !== undefined) f.clientId = clientId as string;
    return Object.keys(f).length ? f : null;
  }

  private topic(msg: Record<string, unknown>): Topic {
    if (!(TOPICS as readonly unknown[]).includes(msg.topic)) throw vigilError('VIGIL_ERR_VALIDATION', `topic must be one of ${TOPICS.map((t) => `"${t}"`).join(', ')}`);
    return msg.topic as Topic;
  }
}

/**
 * Why a message's `ref` cannot be echoed, or null when it can: absent, a string of at most
 * MAX_REF_LENGTH characters, or a finite number. Echoing whatever came would let one client
 * make the server queue large copies of its own messages.
 */
export function refProblem(ref: unknown): string | null {
  if (ref === undefined || (typeof ref === 'string' && ref.length <= MAX_REF_LENGTH) || (typeof ref === 'number' && Number.isFinite(ref))) return null;
  return `ref must be a string of at most ${MAX_REF_LENGTH} characters or a number`;
}

/** The `ref` to echo in an answer: the message's own, or none when it is not one that may be echoed. */
export function echoRef(ref: unknown): unknown {
  return refProblem(ref) ? undefined : ref;
}

