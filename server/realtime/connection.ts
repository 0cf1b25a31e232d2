/**
 * One real-time connection, whatever its transport. The raw WebSocket and Socket.IO adapters
 * only decode frames into messages and encode answers; everything else is here, once: the
 * first `auth` message, `hello`, the credential's lifetime (closed 4401 at an access token's
 * `exp` unless an `auth` message brings a fresh token of the same session), budgets for bad
 * and excess messages, one subscribe per topic in flight, and the order messages are handled in.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AUTH_TIMEOUT_MS, BAD_MESSAGES_PER_MINUTE, CLOSE, MESSAGES_PER_SECOND, PROTOCOL_VERSION, type ServerMessage } from '../../shared/protocol.js';
import { CREDENTIAL_ENDED, type Authenticator } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { errorBody, isVigilError, vigilError, type VigilError } from '../errors.js';
import { Frame, newClientId, type RealtimeClient } from './client.js';
import type { Hub } from './hub.js';
import { refProblem, type Answer, type ProtocolHandler } from './protocol.js';
import { isRedisUnavailable, UNAVAILABLE_MESSAGE } from '../redis/connect.js';

/** What an adapter provides: the socket, seen only as frames going out. */
export interface Transport {
  readonly kind: 'ws' | 'socket.io';
  send(frame: Frame): void;
  /** True while the peer is not reading fast enough to take more. */
  congested(): boolean;
  close(code: number, reason: string): void;
}

export interface ConnectionDeps {
  hub: Hub;
  protocol: ProtocolHandler;
  auth: Authenticator;
  pendingAuth: PendingAuthBudget;
  log: { error(o: object, m: string): void; warn(o: object, m: string): void };
}

/** How a message's answer goes back: the adapter encodes it (an ack frame, a Socket.IO ack, an error frame). */
export type Respond = (answer: Answer) => void;

/** Messages a connection may have waiting to be handled; past it, a message is refused as too many. */
const MAX_QUEUED = 64;
/** The longest a timer can wait (setTimeout's limit); an expiry further away is re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

const refused = (err: VigilError): Answer => ({ ok: false, error: errorBody(err) });

/** A message to handle, or a task of the connection's own (hello, a coalesced subscribe). */
interface Task {
  msg?: Record<string, unknown>;
  run?: () => Promise<void>;
  respond?: Respond;
}

export class Connection implements RealtimeClient {
  readonly id = newClientId();
  readonly connectedAt = Date.now();
  principal: Principal | null = null;
  private closed = false;
  /** Messages and tasks waiting to be handled, in order; `queued` counts them and the one running. */
  private readonly tasks: Task[] = [];
  private queued = 0;
  private draining = false;
  /** A subscribe per topic waiting to run; a newer one for the same topic replaces it. */
  private readonly pendingSubscribes = new Map<unknown, { msg: Record<string, unknown>; respond: Respond }>();
  private badStamps: number[] = [];
  private second = 0;
  private inSecond = 0;
  private authTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private holdsPendingSlot = false;

  constructor(
    private readonly t: Transport,
    private readonly deps: ConnectionDeps,
    readonly realm: string,
    readonly ip: string,
    readonly userAgent: string | null,
  ) {}

  get transport(): 'ws' | 'socket.io' {
    return this.t.kind;
  }
  send(frame: Frame): void {
    if (!this.closed) this.t.send(frame);
  }
  congested(): boolean {
    return this.t.congested();
  }
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.t.close(code, reason);
    this.gone();
  }

  /**
   * Starts the connection: with a principal, attaches it and says hello; without one (a raw
   * WebSocket that will authenticate by message), waits up to 10 s for its `auth` message.
   */
  start(principal: Principal | null): void {
    if (principal) {
      this.enqueue(() => this.welcome(principal));
      return;
    }
    this.holdsPendingSlot = true;
    this.deps.pendingAuth.take(this.ip);
    this.authTimer = setTimeout(() => {
      if (!this.principal) this.close(CLOSE.UNAUTHENTICATED, 'no auth message within 10 s');
    }, AUTH_TIMEOUT_MS);
  }

  /** The transport reports the socket gone. */
  gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.releasePendingSlot();
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.deps.hub.detach(this);
  }

  /** A frame that is not a message (not JSON, not an object, an unknown Socket.IO event). */
  receiveInvalid(reason: string, respond: Respond): void {
    if (this.overRate(respond)) return;
    this.bad(reason, respond);
  }

  /** One decoded message: handled in order, after hello. */
  receive(msg: Record<string, unknown>, respond: Respond): void {
    if (this.overRate(respond)) return;
    const problem = refProblem(msg.ref);
    if (problem) return this.bad(problem, respond);
    if (!this.principal && msg.type !== 'auth' && this.queued === 0) {
      return this.bad('authenticate first: {"type":"auth","token":"…"}', respond);
    }
    if (msg.type === 'subscribe') {
      const waiting = this.pendingSubscribes.get(msg.topic);
      this.pendingSubscribes.set(msg.topic, { msg, respond });
      // repeats coalesce: the waiting one is answered as superseded, the newest runs in its place
      if (waiting) return waiting.respond({ ok: true, superseded: true });
      return this.enqueue(async () => {
        const next = this.pendingSubscribes.get(msg.topic)!;
        this.pendingSubscribes.delete(msg.topic);
        await this.handle(next.msg, next.respond);
      }, respond);
    }
    this.push({ msg, respond });
  }

  private enqueue(run: () => Promise<void>, respond?: Respond): void {
    this.push({ run, respond });
  }

  /**
   * One loop per connection works through its tasks in order; a message is queued as itself, not
   * as a closure and a promise chain (an activity frame is the hot path: bench:ingest T3).
   */
  private push(task: Task): void {
    if (this.queued >= MAX_QUEUED) {
      task.respond?.(refused(vigilError('VIGIL_ERR_RATE_LIMITED', 1)));
      return;
    }
    this.queued++;
    this.tasks.push(task);
    if (!this.draining) {
      this.draining = true;
      queueMicrotask(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    for (let task = this.tasks.shift(); task; task = this.tasks.shift()) {
      try {
        if (this.closed) continue;
        if (task.run) await task.run();
        else await this.handle(task.msg!, task.respond!);
      } catch (err) {
        // an outage is said once by the Redis connection's own log lines, not by a stack per message
        if (isRedisUnavailable(err)) task.respond?.(refused(vigilError('VIGIL_ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE)));
        else {
          this.deps.log.error({ err }, 'real-time message failed');
          task.respond?.(refused(vigilError('VIGIL_ERR_INTERNAL')));
        }
      } finally {
        this.queued--;
      }
    }
    this.draining = false;
  }

  private async handle(msg: Record<string, unknown>, respond: Respond): Promise<void> {
    if (msg.type === 'auth') return this.auth(msg, respond);
    if (!this.principal) return this.bad('authenticate first: {"type":"auth","token":"…"}', respond);
    const answer = await this.deps.protocol.handle(this, msg);
    if (!answer.ok && answer.error.code === 'VIGIL_ERR_BAD_MESSAGE') return this.bad(answer.error.message, respond);
    respond(answer);
  }

  /** The first `auth` message of an unauthenticated `/ws`, or a fresh token for an open connection. */
  private async auth(msg: Record<string, unknown>, respond: Respond): Promise<void> {
    if (typeof msg.token !== 'string' || !msg.token) return this.bad('auth needs a token: {"type":"auth","token":"…"}', respond);
    let principal: Principal | null = null;
    try {
      principal = (await this.deps.auth.identify({ realm: this.realm, headers: {} as IncomingHttpHeaders, token: msg.token, originChecked: false })).principal;
    } catch (err) {
      if (!isVigilError(err) || err.code !== 'VIGIL_ERR_UNAUTHENTICATED') throw err;
    }
    const current = this.principal;
    if (!current) {
      if (!principal) {
        respond(refused(vigilError('VIGIL_ERR_UNAUTHENTICATED', CREDENTIAL_ENDED)));
        return this.close(CLOSE.UNAUTHENTICATED, 'unauthenticated');
      }
      return this.welcome(principal);
    }
    // a refresh: the connection stays what it is, only its credential's lifetime moves
    if (!principal) return respond(refused(vigilError('VIGIL_ERR_UNAUTHENTICATED', CREDENTIAL_ENDED)));
    const same = current.sessionId ? principal.sessionId === current.sessionId : principal.displayKeyId !== null && principal.displayKeyId === current.displayKeyId;
    if (!same) return respond(refused(vigilError('VIGIL_ERR_FORBIDDEN', 'a fresh token must be of the same session as the connection')));
    current.expiresAt = principal.expiresAt;
    current.tokenId = principal.tokenId;
    this.armExpiry();
    respond({ ok: true, expiresAt: current.expiresAt === null ? null : new Date(current.expiresAt).toISOString() });
  }

  private async welcome(principal: Principal): Promise<void> {
    this.principal = principal;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.releasePendingSlot();
    try {
      await this.deps.hub.attach(this);
    } catch (err) {
      if (isRedisUnavailable(err)) this.deps.log.warn({ realm: principal.realm, err: (err as Error).message }, 'real-time client could not be set up while Redis is unavailable; closing it');
      else this.deps.log.error({ err, realm: principal.realm }, 'real-time client could not be set up; closing it');
      return this.close(CLOSE.INTERNAL_ERROR, 'server error; try again later');
    }
    if (this.closed) return this.deps.hub.detach(this); // it left while being attached
    this.armExpiry();
    const hello: ServerMessage = {
      type: 'hello', protocol: PROTOCOL_VERSION, serverTime: new Date().toISOString(), role: principal.role, realm: principal.realm,
      sessionId: principal.sessionId, expiresAt: principal.expiresAt === null ? null : new Date(principal.expiresAt).toISOString(),
    };
    this.send(new Frame(hello));
  }

  /** Closes the connection when its credential ends by itself (an access token's `exp`). */
  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const at = this.principal?.expiresAt;
    if (at === null || at === undefined) return;
    const wait = at - Date.now();
    if (wait <= 0) return this.close(CLOSE.UNAUTHENTICATED, 'the access token expired');
    this.expiryTimer = setTimeout(() => this.armExpiry(), Math.min(wait, MAX_TIMER_MS));
    this.expiryTimer.unref();
  }

  private releasePendingSlot(): void {
    if (!this.holdsPendingSlot) return;
    this.holdsPendingSlot = false;
    this.deps.pendingAuth.release(this.ip);
  }

  /**
   * Past MESSAGES_PER_SECOND in one second, a message is refused unhandled and counts as a bad
   * one, so that a flood ends in 1008 once the bad-message budget is spent.
   */
  private overRate(respond: Respond): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.inSecond = 0;
    }
    if (++this.inSecond <= MESSAGES_PER_SECOND) return false;
    respond(refused(vigilError('VIGIL_ERR_RATE_LIMITED', 1)));
    this.spendBad();
    return true;
  }

  private bad(message: string, respond: Respond): void {
    respond(refused(vigilError('VIGIL_ERR_BAD_MESSAGE', message)));
    this.spendBad();
  }

  /** More than BAD_MESSAGES_PER_MINUTE bad messages in a minute closes the connection (1008). */
  private spendBad(): void {
    const now = Date.now();
    this.badStamps = this.badStamps.filter((t) => now - t < 60_000);
    this.badStamps.push(now);
    if (this.badStamps.length > BAD_MESSAGES_PER_MINUTE) this.close(CLOSE.POLICY, 'too many bad messages');
  }
}

/**
 * Connections that have not authenticated yet, per client address: an address may hold at most
 * `limit` of them (MAX_UNAUTHENTICATED_PER_ADDRESS), so that anonymous sockets cannot pile up.
 */
export class PendingAuthBudget {
  private readonly byAddress = new Map<string, number>();
  constructor(readonly limit: number) {}
  full(ip: string): boolean {
    return (this.byAddress.get(ip) ?? 0) >= this.limit;
  }
  take(ip: string): void {
    this.byAddress.set(ip, (this.byAddress.get(ip) ?? 0) + 1);
  }
  release(ip: string): void {
    const n = (this.byAddress.get(ip) ?? 1) - 1;
    if (n > 0) this.byAddress.set(ip, n);
    else this.byAddress.delete(ip);
  }
}
