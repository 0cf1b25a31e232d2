/**
 * The raw WebSocket transport at GET /ws: one JSON object per text frame. Authenticates from
 * the upgrade request (Bearer, or the cookie from an allowed origin) or from a first
 * `{"type":"auth"}` message within 10 s. A thin adapter over the hub and protocol handler.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AUTH_TIMEOUT_MS, BAD_MESSAGES_PER_MINUTE, CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { Frame, newClientId, type RealtimeClient } from './client.js';
import type { Principal } from '../auth/principal.js';
import { BadMessageBudget, echoRef, refProblem } from './protocol.js';
import { bearerToken, cookieToken, originAllowed, originPolicy } from '../auth/authenticate.js';
import { errorBody, vigilError } from '../errors.js';
import { REALM_NAME } from '../realms/store.js';

const PING_EVERY_MS = 25_000;

class WsClient implements RealtimeClient {
  readonly id = newClientId();
  readonly transport = 'ws' as const;
  principal: Principal | null = null;
  alive = true;
  constructor(readonly socket: WebSocket, private readonly highWater: number) {}
  send(frame: Frame): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame.json());
  }
  congested(): boolean {
    return this.socket.bufferedAmount > this.highWater;
  }
  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason);
  }
}

/**
 * @fastify/websocket's `preClose` option. The plugin's default closes every socket without a
 * status code (clients see 1005); a shutdown must say 1001 (going away) so that clients know
 * to reconnect rather than treat it as an error.
 */
export async function closeGoingAway(this: FastifyInstance): Promise<void> {
  for (const socket of this.websocketServer.clients) socket.close(CLOSE.GOING_AWAY, 'server shutting down');
  this.websocketServer.close(); // as the default does; ws calls back only once every client is gone
}

/**
 * @fastify/websocket's `errorHandler` option. A client that breaks the protocol (a frame over
 * the limit, a malformed frame: `ws` has already closed it with 1009 or 1002) is the client's
 * doing, not a server error: one info line, no stack. Anything else stays an error.
 */
export function onSocketError(this: FastifyInstance, error: Error & { code?: unknown }, socket: WebSocket, request: FastifyRequest): void {
  if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) request.log.info({ code: error.code }, `websocket client broke the protocol: ${error.message}`);
  else request.log.error({ err: error }, 'websocket error');
  socket.terminate();
}

export async function wsTransport(app: FastifyInstance): Promise<void> {
  const { hub, protocol, auth, config, realms } = app.vigil;
  const clients = new Set<WsClient>();

  const pinger = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        c.socket.terminate(); // no pong since the last ping: a dead peer
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }, PING_EVERY_MS);
  pinger.unref();
  app.addHook('onClose', async () => clearInterval(pinger));

  app.get('/ws', {
    websocket: true,
    preValidation: async (req) => {
      const realm = typeof (req.query as Record<string, unknown>).realm === 'string' ? String((req.query as Record<string, unknown>).realm) : 'default';
      if (!REALM_NAME.test(realm) || !(await realms.exists(realm))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
      const bearer = bearerToken(req.headers);
      const cookie = cookieToken(req.headers);
      if (!bearer && cookie && !originAllowed(req.headers, originPolicy(config))) throw vigilError('VIGIL_ERR_BAD_ORIGIN', req.headers.origin);
      const token = bearer ?? cookie;
      if (token) {
        const result = await auth.authenticate(realm, token);
        if (!result) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'The token is unknown, expired or revoked');
        req.principal = result.principal;
      }
      (req as unknown as { vigilRealm: string }).vigilRealm = realm;
    },
  }, (socket, req) => {
    const client = new WsClient(socket, config.clientBufferBytes);
    clients.add(client);
    const realm = (req as unknown as { vigilRealm: string }).vigilRealm;
    const budget = new BadMessageBudget(BAD_MESSAGES_PER_MINUTE);
    let authTimer: NodeJS.Timeout | null = null;
    let queue = Promise.resolve();

    const send = (msg: object) => client.send(new Frame(msg as never));
    const sendError = (err: ReturnType<typeof errorBody>, ref?: unknown) =>
      send({ type: 'error', code: err.code, message: err.message, ...(ref !== undefined ? { ref } : {}) });
    const bad = (message: string, ref?: unknown) => {
      sendError(errorBody(vigilError('VIGIL_ERR_BAD_MESSAGE', message)), ref);
      if (budget.spend()) client.close(CLOSE.POLICY, 'too many bad messages');
    };
    const welcome = async (principal: Principal) => {
      client.principal = principal;
      try {
        await hub.attach(client);
      } catch (err) {
        app.log.error({ err, realm: principal.realm }, 'websocket client could not be set up; closing it');
        return client.close(CLOSE.INTERNAL_ERROR, 'server error; try again later');
      }
      if (socket.readyState !== socket.OPEN) return hub.detach(client); // it left while being attached
      send({ type: 'hello', protocol: PROTOCOL_VERSION, serverTime: new Date().toISOString(), role: principal.role, realm: principal.realm, sessionId: principal.sessionId });
    };

    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => {
      clients.delete(client);
      if (authTimer) clearTimeout(authTimer);
      hub.detach(client);
    });
    socket.on('error', () => socket.terminate());

    // messages wait for hello: the protocol is only spoken to an attached client
    if (req.principal) queue = welcome(req.principal);
    else {
      authTimer = setTimeout(() => {
        if (!client.principal) client.close(CLOSE.UNAUTHENTICATED, 'no auth message within 10 s');
      }, AUTH_TIMEOUT_MS);
    }

    socket.on('message', (data, isBinary) => {
      // one message at a time per connection, in order
      queue = queue.then(async () => {
        if (isBinary) return bad('binary frames are not part of the protocol; send JSON text');
        let msg: unknown;
        try {
          msg = JSON.parse(data.toString());
        } catch {
          return bad('the message is not valid JSON');
        }
        if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return bad('a message must be a JSON object with a "type"');
        const m = msg as Record<string, unknown>;
        const ref = echoRef(m.ref);
        if (!client.principal) {
          const problem = refProblem(m.ref);
          if (problem) return bad(problem);
          if (m.type !== 'auth' || typeof m.token !== 'string') return bad('authenticate first: {"type":"auth","token":"…"}', ref);
          const result = await auth.authenticate(realm, m.token);
          if (!result) {
            sendError(errorBody(vigilError('VIGIL_ERR_UNAUTHENTICATED', 'The token is unknown, expired or revoked')), ref);
            return client.close(CLOSE.UNAUTHENTICATED, 'unauthenticated');
          }
          if (authTimer) clearTimeout(authTimer);
          return welcome(result.principal);
        }
        const answer = await protocol.handle(client, m);
        if (!answer.ok) {
          if (answer.error.code === 'VIGIL_ERR_BAD_MESSAGE') return bad(answer.error.message, ref);
          return sendError(answer.error, ref);
        }
        // subscribe answers with its snapshot / synced; other messages are acknowledged when they carry a ref
        if (m.type !== 'subscribe' && (ref !== undefined || m.type === 'extend')) {
          const { ok: _ok, ...rest } = answer;
          send({ type: 'ack', ok: true, ...(ref !== undefined ? { ref } : {}), ...rest });
        }
      }).catch((err) => {
        app.log.error({ err }, 'websocket message failed');
        sendError(errorBody(vigilError('VIGIL_ERR_INTERNAL')));
      });
    });
  });
}

export const WS_OPTIONS = { maxPayload: MAX_FRAME_BYTES };
