/**
 * `vigil-realtime`: the hub (one event feed per realm, fanned out to this process's clients)
 * and the protocol handler both transports (/ws, Socket.IO) hand their messages to.
 */
import fp from 'fastify-plugin';
import { Hub } from '../realtime/hub.js';
import { ProtocolHandler } from '../realtime/protocol.js';
import { ConnectionDirectory } from '../realtime/directory.js';

declare module 'fastify' {
  interface FastifyInstance {
    hub: Hub;
    protocol: ProtocolHandler;
    /** This realm's connections on every node (GET/DELETE /connections). */
    connections: ConnectionDirectory;
  }
}

export const realtimePlugin = fp(async (app) => {
  // each realm feed's XREAD BLOCK gets a connection of its own, which waits an outage out
  const hub = new Hub(app.redis, app.keys, app.engine, app.metrics, app.log, () => app.openRedis('blocking', 'events'));
  app.decorate('hub', hub);
  app.decorate('protocol', new ProtocolHandler(hub, app.engine));
  app.metrics.realtimeClients(() => hub.clientCount());
  app.addHook('onClose', () => hub.close());
  const connections = new ConnectionDirectory(app.redis, app.keys, hub, app.nodeId, app.log);
  app.decorate('connections', connections);
  // closes asked by other nodes come on a subscriber connection of its own, which waits an outage out
  app.addHook('onReady', () => connections.start(app.openRedis('blocking', 'connection closes')));
  app.addHook('onClose', () => connections.stop());
}, { name: 'vigil-realtime', dependencies: ['vigil-config', 'vigil-redis', 'vigil-sessions', 'vigil-metrics'] });
