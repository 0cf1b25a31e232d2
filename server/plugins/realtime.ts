/**
 * `vigil-realtime`: the hub (one event feed per realm, fanned out to this process's clients),
 * the protocol handler both transports (/ws, Socket.IO) hand their messages to, the wall's
 * counters across nodes (server/realms/stats.ts, which this process reports while it is up, and
 * the stats topic pushes) and the directory of connections.
 */
import fp from 'fastify-plugin';
import { Hub } from '../realtime/hub.js';
import { ProtocolHandler } from '../realtime/protocol.js';
import { ConnectionDirectory } from '../realtime/directory.js';
import { StatsService } from '../realms/stats.js';

declare module 'fastify' {
  interface FastifyInstance {
    hub: Hub;
    protocol: ProtocolHandler;
    /** The wall display's counters, across nodes. */
    stats: StatsService;
    /** This realm's connections on every node (GET/DELETE /connections). */
    connections: ConnectionDirectory;
  }
}

export const realtimePlugin = fp(async (app) => {
  // each realm feed's XREAD BLOCK gets a connection of its own, which waits an outage out
  // the wall's counters count this node's clients, and the stats topic pushes them: the two are
  // built here together (a closure each way), not wired by a setter afterwards
  let stats: StatsService | null = null;
  const hub = new Hub(app.redis, app.keys, app.engine, app.metrics, app.log, () => app.openRedis('blocking', 'events'), (realm) => stats!.get(realm));
  stats = new StatsService(app.redis, app.keys, app.realms, app.nodeId, (realm) => hub.clientCount(realm));
  app.decorate('hub', hub);
  app.decorate('stats', stats);
  app.addHook('onReady', async () => stats!.startReporting());
  app.addHook('onClose', () => stats!.stopReporting());
  app.decorate('protocol', new ProtocolHandler(hub, app.engine));
  app.metrics.realtimeClients(() => hub.clientCount());
  app.addHook('onClose', () => hub.close());
  const connections = new ConnectionDirectory(app.redis, app.keys, hub, app.nodeId, app.log);
  app.decorate('connections', connections);
  // closes asked by other nodes come on a subscriber connection of its own, which waits an outage out
  app.addHook('onReady', () => connections.start(app.openRedis('blocking', 'connection closes')));
  app.addHook('onClose', () => connections.stop());
}, { name: 'vigil-realtime', dependencies: ['vigil-config', 'vigil-redis', 'vigil-sessions', 'vigil-stores', 'vigil-metrics'] });
