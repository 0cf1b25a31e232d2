/**
 * The Socket.IO transport at /socket.io/ (default namespace): each protocol message is an
 * event named by its `type`; client messages take an optional ack, answered {ok: true} or
 * the error object. A thin adapter over the same hub and protocol handler as /ws.
 *
 * @fastify/websocket and engine.io both listen for HTTP `upgrade`; one dispatcher sends
 * /socket.io/ upgrades to engine.io and the rest to Fastify (otherwise Socket.IO's WebSocket
 * transport fails with a 404).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import { BAD_MESSAGES_PER_MINUTE, CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { Frame, newClientId, type RealtimeClient } from './client.js';
import type { Principal } from '../auth/principal.js';
import { BadMessageBudget, echoRef } from './protocol.js';
import { bearerToken, cookieToken, originAllowed, originPolicy } from '../auth/authenticate.js';
import { errorBody, vigilError, type VigilError } from '../errors.js';
import { REALM_NAME } from '../realms/store.js';
import { isRedisUnavailable, UNAVAILABLE_MESSAGE } from '../redis/connect.js';

const PATH = '/socket.io/';
const MESSAGE_TYPES = ['subscribe', 'unsubscribe', 'activity', 'extend'] as const;

/** What congestion is read from: engine.io's packet queue, and its WebSocket transport's socket. */
interface EngineConn {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

class SioClient implements RealtimeClient {
  readonly id = newClientId();
  readonly transport = 'socket.io' as const;
  constructor(readonly socket: Socket, public principal: Principal | null, private readonly highWaterBytes: number, private readonly highWaterPackets: number) {}
  send(frame: Frame): void {
    const msg = frame.message;
    this.socket.emit(msg.type, msg);
  }
  /**
   * engine.io queues packets while its transport is busy writing; the WebSocket transport's
   * socket meanwhile holds the bytes of the batch in flight. Both count, in bytes.
   */
  congested(): boolean {
    const conn = this.socket.conn as unknown as EngineConn;
    const queue = conn.writeBuffer ?? [];
    if (queue.length > this.highWaterPackets) return true;
    let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
    for (const packet of queue) bytes += typeof packet.data === 'string' ? packet.data.length : packet.data instanceof Buffer ? packet.data.length : 0;
    return bytes > this.highWaterBytes;
  }
  close(code: number, reason: string): void {
    this.socket.emit('close', { code, reason });
    this.socket.disconnect(true);
  }
}

function connectError(err: VigilError): Error {
  const e = new Error(err.message) as Error & { data: unknown };
  e.data = errorBody(err);
  return e;
}

async function socketIo(app: FastifyInstance): Promise<void> {
  const { hub, protocol, auth, config, realms } = app.vigil;
  const io = new Server({ path: PATH, serveClient: false, maxHttpBufferSize: MAX_FRAME_BYTES, pingInterval: 25_000, pingTimeout: 20_000 });

  io.use((socket, next) => {
    void (async () => {
      const hs = socket.handshake;
      const a = (hs.auth ?? {}) as Record<string, unknown>;
      const realm = typeof a.realm === 'string' ? a.realm : typeof hs.query.realm === 'string' ? hs.query.realm : 'default';
      if (!REALM_NAME.test(realm) || !(await realms.exists(realm))) return next(connectError(vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`)));
      const explicit = typeof a.token === 'string' ? a.token : bearerToken(hs.headers);
      const cookie = cookieToken(hs.headers);
      if (!explicit && cookie && !originAllowed(hs.headers, originPolicy(config))) {
        return next(connectError(vigilError('VIGIL_ERR_BAD_ORIGIN', hs.headers.origin)));
      }
      const token = explicit ?? cookie;
      if (!token) return next(connectError(vigilError('VIGIL_ERR_UNAUTHENTICATED', 'No credential: send auth: {token} or sign in first')));
      const result = await auth.authenticate(realm, token);
      if (!result) return next(connectError(vigilError('VIGIL_ERR_UNAUTHENTICATED', 'The token is unknown, expired or revoked')));
      (socket.data as { principal: Principal }).principal = result.principal;
      next();
    })().catch((err) => next(isRedisUnavailable(err) ? connectError(vigilError('VIGIL_ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE)) : (err as Error)));
  });

  io.on('connection', (socket) => {
    // bytes as for /ws, and a packet count too (a polling client's queue holds packets until it polls)
    const client = new SioClient(socket, (socket.data as { principal: Principal }).principal, config.clientBufferBytes, Math.max(16, config.clientBufferBytes >> 10));
    const budget = new BadMessageBudget(BAD_MESSAGES_PER_MINUTE);
    const p = client.principal!;
    socket.on('disconnect', () => hub.detach(client));
    // messages wait for hello: the protocol is only spoken to an attached client
    const attached: Promise<boolean> = hub.attach(client).then(
      () => {
        if (socket.disconnected) {
          hub.detach(client); // it left while being attached
          return false;
        }
        socket.emit('hello', { type: 'hello', protocol: PROTOCOL_VERSION, serverTime: new Date().toISOString(), role: p.role, realm: p.realm, sessionId: p.sessionId });
        return true;
      },
      (err: unknown) => {
        app.log.error({ err, realm: p.realm }, 'socket.io client could not be set up; disconnecting it');
        client.close(CLOSE.INTERNAL_ERROR, 'server error; try again later');
        return false;
      },
    );

    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (a: unknown) => void) : null;
      const reply = (answer: unknown) => ack?.(answer);
      if (!(MESSAGE_TYPES as readonly string[]).includes(event)) {
        const err = errorBody(vigilError('VIGIL_ERR_BAD_MESSAGE', `unknown message type ${JSON.stringify(event)}; expected one of ${MESSAGE_TYPES.join(', ')}`));
        if (ack) reply(err);
        else socket.emit('error', { type: 'error', code: err.code, message: err.message });
        if (budget.spend()) client.close(CLOSE.POLICY, 'too many bad messages');
        return;
      }
      const payload = args[0];
      const body = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
      void attached
        .then(async (ok) => {
          if (!ok) return;
          const answer = await protocol.handle(client, { ...body, type: event });
          if (answer.ok) return reply(answer);
          if (answer.error.code === 'VIGIL_ERR_BAD_MESSAGE' && budget.spend()) client.close(CLOSE.POLICY, 'too many bad messages');
          if (ack) reply(answer.error);
          else socket.emit('error', { type: 'error', code: answer.error.code, message: answer.error.message, ref: echoRef(body.ref) });
        })
        .catch((err) => app.log.error({ err }, 'socket.io message failed'));
    });
  });

  app.addHook('onReady', async () => {
    io.attach(app.server, { path: PATH, destroyUpgrade: false });
    // one upgrade dispatcher: engine.io for /socket.io/, Fastify (@fastify/websocket) for the rest
    const listeners = app.server.listeners('upgrade') as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
    const engineListener = listeners[listeners.length - 1]!;
    const others = listeners.slice(0, -1);
    app.server.removeAllListeners('upgrade');
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.url ?? '').startsWith(PATH)) engineListener.call(app.server, req, socket, head);
      else for (const l of others) l.call(app.server, req, socket, head);
    });
  });
  app.addHook('preClose', async () => {
    for (const s of io.sockets.sockets.values()) s.disconnect(true);
  });
  app.addHook('onClose', async () => {
    io.engine?.close();
  });
  app.decorate('io', io);
}

/** Not encapsulated, so that `app.io` is the instance's, as declared below. */
export const socketIoTransport = fp(socketIo, { name: 'vigil-socketio' });

declare module 'fastify' {
  interface FastifyInstance {
    io: Server;
  }
}
