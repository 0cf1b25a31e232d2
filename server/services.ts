/**
 * The process's services, built once per app and hung on the Fastify instance as `vigil`.
 * Routes and transports read them from there instead of importing singletons, so that tests
 * can build any number of isolated apps in one process.
 */
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Keys } from './redis/keys.js';
import type { ScriptedRedis } from './redis/scripts.js';
import type { SessionEngine } from './sessions/engine.js';
import type { RealmStore } from './realms/store.js';
import type { StatsService } from './realms/stats.js';
import type { RealmService } from './realms/service.js';
import type { UserStore } from './users/store.js';
import type { DisplayKeyStore } from './auth/display-keys.js';
import type { LoginLimiter } from './auth/login-limiter.js';
import type { LoginService } from './auth/login.js';
import type { Authenticator } from './auth/authenticate.js';
import type { TimerWheel } from './timers/wheel.js';
import type { Hub } from './realtime/hub.js';
import type { ProtocolHandler } from './realtime/protocol.js';
import type { Metrics } from './metrics.js';
import type { Principal } from './auth/principal.js';
import type { OidcService } from './oidc/service.js';

export interface Services {
  config: Config;
  redis: ScriptedRedis;
  /** The timer worker's: maxRetriesPerRequest: null, as BullMQ requires (server/redis/connect.ts 'bullmq'). */
  bullConnection: Redis;
  /** The timer queue's producer side (on the request path: fails fast, like `redis`). */
  timerQueueConnection: Redis;
  keys: Keys;
  engine: SessionEngine;
  realms: RealmStore;
  users: UserStore;
  displayKeys: DisplayKeyStore;
  limiter: LoginLimiter;
  /** Password sign-in for REST, the OIDC login form and the password grant. */
  login: LoginService;
  auth: Authenticator;
  timers: TimerWheel;
  hub: Hub;
  protocol: ProtocolHandler;
  metrics: Metrics;
  /**
   * The URL users reach Vigil at, without a trailing slash: VIGIL_PUBLIC_URL, else the
   * listening address. Never the request's Host header (an issuer or link taken from it can be
   * pointed anywhere by whoever sends the request).
   */
  publicUrl(): string;
  /** Creating and removing realms. */
  realmService: RealmService;
  /** The wall display's counters, across nodes. */
  stats: StatsService;
  /** The process's id among the nodes sharing this Redis. */
  nodeId: string;
  /** The OpenID Connect provider; set when server/oidc/plugin.ts registers. */
  oidc?: OidcService;
}

declare module 'fastify' {
  interface FastifyInstance {
    vigil: Services;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The credential came from the cookie (so its writes are origin-checked). */
    viaCookie: boolean;
  }
}
