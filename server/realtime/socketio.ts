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
import { CLIENT_MESSAGE_TYPES, CLOSE, MAX_FRAME_BYTES, MAX_UNAUTHENTICATED_PER_ADDRESS } from '../../shared/protocol.js';
import type { Frame } from './client.js';
import { Connection, PendingAuthBudget, type Respond, type Transport } from './connection.js';
import { echoRef } from './protocol.js';
import { CREDENTIAL_ENDED } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { errorBody, isVigilError, vigilError, type VigilError } from '../errors.js';
import { REALM_NAME } from '../realms/store.js';
import { isRedisUnavailable, UNAVAILABLE_MESSAGE } from '../redis/connect.js';

const PATH = '/socket.io/';

/** What congestion is read from: engine.io's packet queue, and its WebSocket transport's socket. */
interface EngineConn {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

class SioTransport implements Transport {
  readonly kind = 'socket.io' as const;
  constructor(readonly socket: Socket, private readonly highWaterBytes: number, private readonly highWaterPackets: number) {}
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
  /** Socket.IO has no close codes: the code comes first as a `close` event, then the disconnect. */
  close(code: number, reason: string): void {
    if (this.socket.disconnected) return;
    this.socket.emit('close', { code, reason });
    this.socket.disconnect(true);
  }
}

function connectError(err: VigilError): Error {
  const e = new Error(err.message) as Error & { data: unknown };
  e.data = errorBody(err);
  return e;
}

const kPrincipal = Symbol('vigil.principal');
type SocketData = { [kPrincipal]?: Principal; realm?: string };

async function socketIo(app: FastifyInstance): Promise<void> {
  const { hub, protocol, auth, config } = app;
  // Socket.IO authenticates in its handshake, so none of its connections waits for an auth message
  const deps = { hub, protocol, auth, pendingAuth: new PendingAuthBudget(MAX_UNAUTHENTICATED_PER_ADDRESS), log: app.log };
  const io = new Server({ path: PATH, serveClient: false, maxHttpBufferSize: MAX_FRAME_BYTES, pingInterval: 25_000, pingTimeout: 20_000 });
  const transports = new Set<SioTransport>();

  io.use((socket, next) => {
    void (async () => {
      const hs = socket.handshake;
      const a = (hs.auth ?? {}) as Record<string, unknown>;
      const realm = typeof a.realm === 'string' ? a.realm : typeof hs.query.realm === 'string' ? hs.query.realm : 'default';
      if (!REALM_NAME.test(realm)) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
      const id = await auth.identify({ realm, headers: hs.headers, token: typeof a.token === 'string' ? a.token : null, originChecked: true });
      if (!id.principal) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', id.staleCookie ? CREDENTIAL_ENDED : 'No credential: send auth: {token} or sign in first');
      (socket.data as SocketData)[kPrincipal] = id.principal;
      (socket.data as SocketData).realm = realm;
    })().then(
      () => next(),
      (err: unknown) => next(isVigilError(err) ? connectError(err) : isRedisUnavailable(err) ? connectError(vigilError('VIGIL_ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE)) : (err as Error)),
    );
  });

  io.on('connection', (socket) => {
    const data = socket.data as SocketData;
    // bytes as for /ws, and a packet count too (a polling client's queue holds packets until it polls)
    const t = new SioTransport(socket, config.clientBufferBytes, Math.max(16, config.clientBufferBytes >> 10));
    transports.add(t);
    const conn = new Connection(t, deps, data.realm!, socket.handshake.address, socket.handshake.headers['user-agent'] ?? null);
    socket.on('disconnect', () => {
      transports.delete(t);
      conn.gone();
    });
    conn.start(data[kPrincipal]!);

    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (a: unknown) => void) : null;
      const payload = args[0];
      const body = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
      const respond: Respond = (answer) => {
        if (ack) return ack(answer.ok ? answer : answer.error);
        if (!answer.ok) socket.emit('error', { type: 'error', code: answer.error.code, message: answer.error.message, ref: echoRef(body.ref) });
      };
      if (!(CLIENT_MESSAGE_TYPES as readonly string[]).includes(event)) {
        return conn.receiveInvalid(`unknown message type ${JSON.stringify(event)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`, respond);
      }
      conn.receive({ ...body, type: event }, respond);
    });
  });

  app.addHook('onReady', async () => {
    type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
    const others = app.server.listeners('upgrade') as UpgradeListener[];
    io.attach(app.server, { path: PATH, destroyUpgrade: false });
    // one upgrade dispatcher: engine.io for /socket.io/, Fastify (@fastify/websocket) for the rest.
    // Only the listeners it dispatches to are taken off: engine.io's, just added, and those before it.
    const engineListener = (app.server.listeners('upgrade') as UpgradeListener[]).find((l) => !others.includes(l))!;
    for (const l of [...others, engineListener]) app.server.off('upgrade', l);
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.url ?? '').startsWith(PATH)) engineListener.call(app.server, req, socket, head);
      else for (const l of others) l.call(app.server, req, socket, head);
    });
  });
  // as /ws clients get 1001, Socket.IO clients get close {code: 1001} before the disconnect
  app.addHook('preClose', async () => {
    for (const t of [...transports]) t.close(CLOSE.GOING_AWAY, 'server shutting down');
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
