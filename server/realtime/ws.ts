/**
 * The raw WebSocket transport at GET /ws: one JSON object per text frame. Authenticates from
 * the upgrade request (Bearer, or the cookie from an allowed origin) or from a first
 * `{"type":"auth"}` message within 10 s. A thin adapter: frames in become messages of a
 * Connection (connection.ts), answers out become `ack` and `error` frames.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { CLOSE, MAX_FRAME_BYTES, MAX_UNAUTHENTICATED_PER_ADDRESS } from '../../shared/protocol.js';
import { Frame } from './client.js';
import { Connection, PendingAuthBudget, type Respond, type Transport } from './connection.js';
import { echoRef } from './protocol.js';
import { vigilError } from '../errors.js';
import { REALM_NAME } from '../realms/store.js';

const PING_EVERY_MS = 25_000;

class WsTransport implements Transport {
  readonly kind = 'ws' as const;
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

/** The realm a /ws request names (`?realm=`), default `default`. */
const kRealm = Symbol('vigil.wsRealm');
type WsRequest = FastifyRequest & { [kRealm]?: string };

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
  const { hub, protocol, auth, config } = app;
  const transports = new Set<WsTransport>();
  const pendingAuth = new PendingAuthBudget(MAX_UNAUTHENTICATED_PER_ADDRESS);
  const deps = { hub, protocol, auth, pendingAuth, log: app.log };

  const pinger = setInterval(() => {
    for (const t of transports) {
      if (!t.alive) {
        t.socket.terminate(); // no pong since the last ping: a dead peer
        continue;
      }
      t.alive = false;
      t.socket.ping();
    }
  }, PING_EVERY_MS);
  pinger.unref();
  app.addHook('onClose', async () => clearInterval(pinger));

  app.get('/ws', {
    websocket: true,
    preValidation: async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const realm = typeof q.realm === 'string' ? q.realm : 'default';
      if (!REALM_NAME.test(realm)) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
      const id = await auth.identify({ realm, headers: req.headers, originChecked: true });
      req.principal = id.principal;
      if (!id.principal && pendingAuth.full(req.ip)) {
        reply.header('retry-after', '10');
        throw vigilError('VIGIL_ERR_RATE_LIMITED', 10);
      }
      (req as WsRequest)[kRealm] = realm;
    },
  }, (socket, req) => {
    const t = new WsTransport(socket, config.clientBufferBytes);
    transports.add(t);
    const conn = new Connection(t, deps, (req as WsRequest)[kRealm]!, req.ip, req.headers['user-agent'] ?? null);
    socket.on('pong', () => (t.alive = true));
    socket.on('close', () => {
      transports.delete(t);
      conn.gone();
    });
    socket.on('error', () => socket.terminate());
    conn.start(req.principal);

    socket.on('message', (data, isBinary) => {
      if (isBinary) return conn.receiveInvalid('binary frames are not part of the protocol; send JSON text', answerer(t, undefined, undefined));
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return conn.receiveInvalid('the message is not valid JSON', answerer(t, undefined, undefined));
      }
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return conn.receiveInvalid('a message must be a JSON object with a "type"', answerer(t, undefined, undefined));
      const m = msg as Record<string, unknown>;
      conn.receive(m, answerer(t, m.type, echoRef(m.ref)));
    });
  });
}

/**
 * How /ws answers a message: an error frame (with its `ref`); a subscribe answers with its
 * snapshot or synced (an ack only when it was superseded by a newer one); other messages get an
 * ack when they carry a ref, and extend always (it carries the session).
 */
function answerer(t: WsTransport, type: unknown, ref: unknown): Respond {
  const withRef = ref !== undefined ? { ref } : {};
  return (answer) => {
    if (!answer.ok) return t.send(new Frame({ type: 'error', code: answer.error.code, message: answer.error.message, ...withRef }));
    const { ok: _ok, ...rest } = answer;
    if (type === 'subscribe' ? rest.superseded === true : ref !== undefined || type === 'extend') {
      t.send(new Frame({ type: 'ack', ok: true, ...withRef, ...rest }));
    }
  };
}

export const WS_OPTIONS = { maxPayload: MAX_FRAME_BYTES };
