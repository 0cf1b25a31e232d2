/**
 * Opens ioredis clients — for one Redis (a redis:// or rediss:// URL, or the embedded server's
 * Unix socket), a Redis Cluster (its seed nodes: ioredis `Cluster`) or a Sentinel-watched master
 * (the sentinels: ioredis `sentinels` + `name`) — with the options for what each client is for.
 * This is the one place that knows them, for the app, BullMQ and the hub's readers alike:
 *
 * - `commands`: everything a request waits on (the stores, the session scripts, the timer
 *   queue's producer side). Nothing here may hang while Redis is down or stalled: a connection
 *   that has commands in flight and receives nothing for STALL_MS is dropped (see
 *   `dropWhenStalled`), so what was in flight fails within about COMMAND_TIMEOUT_MS, and a
 *   stalled Redis becomes a disconnected one: later commands fail at once instead of each
 *   waiting, and stop piling up in a server that will run them when it wakes. While
 *   disconnected nothing is queued (a command fails at once), and what was in flight when the
 *   connection dropped fails rather than being replayed on reconnect, long after its request
 *   was answered 503.
 * - `blocking`: the hub's XREAD BLOCK readers. No command timeout (a BLOCK read legitimately
 *   waits BLOCK ms); instead a client-side guard resolves a blocking read that outlived its
 *   BLOCK by BLOCKING_GRACE_MS as an empty read (a zombie connection), and the read waits for
 *   the reconnect rather than failing, so a reader resumes by itself after an outage.
 * - `bullmq`: BullMQ's worker connection (BullMQ duplicates it for its own blocking and
 *   non-blocking connections). `maxRetriesPerRequest: null`, as BullMQ requires, and no
 *   command timeout: the worker waits out an outage and carries on.
 *
 * All of them reconnect quickly (at most RECONNECT_MAX_MS apart), so that once Redis is back
 * the service is too.
 */
import { Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { defineCommands, type ScriptedRedis } from './scripts.js';
import type { EventRetention } from '../config.js';
import type { RedisMode } from '../config.js';

export type RedisPurpose = 'commands' | 'blocking' | 'bullmq';

/** A request-path command's budget: with the rest of a request, an answer (503) within 2 s. */
export const COMMAND_TIMEOUT_MS = 1500;
/** How often a `commands` connection is checked for a stall, and how long silence with commands in flight counts as one. */
const STALL_CHECK_MS = 250;
const STALL_MS = COMMAND_TIMEOUT_MS - STALL_CHECK_MS;
/** How long /readyz waits for PONG. */
export const READY_PING_TIMEOUT_MS = 1000;
/** Seconds a client is told to wait (Retry-After) when Redis is unavailable. */
export const RETRY_AFTER_SECONDS = 2;
/** The `message` of VIGIL_ERR_UNAVAILABLE. */
export const UNAVAILABLE_MESSAGE = 'The session store (Redis) is unavailable; try again shortly';
const RECONNECT_MAX_MS = 500;
const BLOCKING_GRACE_MS = 1000;

const reconnect = (times: number) => Math.min(times * 50, RECONNECT_MAX_MS);

export function purposeOptions(purpose: RedisPurpose): RedisOptions {
  switch (purpose) {
    case 'commands':
      return {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        retryStrategy: reconnect,
      };
    case 'blocking':
      return {
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        // a read sent on a live connection resolves empty BLOCK + grace after it was sent if
        // nothing came back; one waiting for the reconnect, after blockingTimeout
        blockingTimeout: BLOCKING_GRACE_MS * 3,
        blockingTimeoutGrace: BLOCKING_GRACE_MS,
        retryStrategy: reconnect,
      };
    case 'bullmq':
      return { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: reconnect };
  }
}

/** Where Redis is (VIGIL_REDIS_MODE, REDIS_URL, VIGIL_REDIS_SENTINEL_MASTER). */
export interface RedisTarget {
  mode: RedisMode;
  /** standalone: one URL; cluster: seed nodes; sentinel: the sentinels. */
  urls: string[];
  /** sentinel: the monitored master's name. */
  sentinelMaster?: string;
}

/** A target from REDIS_URL's form: one URL, or a comma-separated list for cluster and sentinel. */
export function redisTarget(url: string, mode: RedisMode = 'standalone', sentinelMaster = 'mymaster'): RedisTarget {
  return { mode, urls: url.split(',').map((u) => u.trim()).filter(Boolean), sentinelMaster };
}

export function redisOptions(url: string): { url?: string; options: RedisOptions } {
  if (url.startsWith('redis+socket://')) {
    return { options: { path: url.slice('redis+socket://'.length) } };
  }
  return { url, options: {} };
}

/** host, port and credentials of one URL of a list; rediss:// means TLS. */
function endpoint(url: string, defaultPort: number) {
  const u = new URL(url);
  return {
    node: { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) },
    auth: {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

type OpenOptions = RedisOptions & Pick<ClusterOptions, 'enableAutoPipelining'>;

function open(target: RedisTarget | string, extra: OpenOptions): Redis {
  const t = typeof target === 'string' ? redisTarget(target) : target;
  if (!t.urls.length) throw new Error('no Redis URL');
  if (t.mode === 'sentinel') {
    // the sentinels' credentials and TLS are the master's too
    const eps = t.urls.map((u) => endpoint(u, 26379));
    const { username, password, tls } = eps[0]!.auth;
    return new Redis({
      sentinels: eps.map((e) => e.node), name: t.sentinelMaster ?? 'mymaster', ...eps[0]!.auth,
      ...(username ? { sentinelUsername: username } : {}), ...(password ? { sentinelPassword: password } : {}),
      ...(tls ? { sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: reconnect, ...extra,
    });
  }
  if (t.mode === 'cluster') {
    const eps = t.urls.map((u) => endpoint(u, 6379));
    const { retryStrategy, enableOfflineQueue, enableAutoPipelining, ...node } = extra;
    // a failover moves slots: ioredis retries a command redirected or refused meanwhile a few
    // times, 100 ms apart, within the request's budget, then it fails (503)
    const cluster = new Cluster(eps.map((e) => e.node), {
      redisOptions: { ...node, ...eps[0]!.auth },
      clusterRetryStrategy: (times) => (retryStrategy ? (retryStrategy(times) as number) : reconnect(times)),
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(enableAutoPipelining ? { enableAutoPipelining } : {}),
      scaleReads: 'master', maxRedirections: 8, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 1000,
    });
    return cluster as unknown as Redis; // the commands are the same; `Cluster` lacks only connection details no caller reads
  }
  const { url: u, options } = redisOptions(t.urls[0]!);
  return u ? new Redis(u, { ...options, ...extra }) : new Redis({ ...options, ...extra });
}

/** Whether a client is a Redis Cluster client (its SCANs and pipelines go per node or per slot). */
export function isCluster(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/** The clients a command can reach: a cluster's masters, else the client itself. */
export function masters(client: Redis): Redis[] {
  return isCluster(client) ? (client as unknown as Cluster).nodes('master') : [client];
}

/** A client for `purpose` (see above); `extra` adds options that do not change its failure behaviour (e.g. auto-pipelining). */
export function connectRedis(target: RedisTarget | string, purpose: RedisPurpose, extra: OpenOptions = {}, retention?: EventRetention): ScriptedRedis {
  const client = defineCommands(open(target, { ...purposeOptions(purpose), ...extra }), retention);
  if (purpose === 'commands') {
    // on a cluster, each node's connection (opened as the cluster learns of it) is watched
    if (isCluster(client)) (client as unknown as Cluster).on('+node', (node: Redis) => dropWhenStalled(node));
    else dropWhenStalled(client);
  }
  return client;
}

/** What the stall check reads of an ioredis client: its commands in flight and its socket. */
interface ClientInternals {
  commandQueue: { length: number };
  stream?: NodeJS.ReadableStream & { destroy(err?: Error): void };
}

/**
 * A stalled Redis (stopped, a frozen host, a peer gone without a reset) answers nothing, and
 * ioredis would wait for it forever. One timer per client checks for that, instead of one per
 * command: ioredis's own `commandTimeout` and `socketTimeout` arm a timer per command or per
 * reply and cost about a third of the activity ingest rate (bench:ingest, T3 31.7k/s without
 * them, 19.0k/s with both, in one session). When the client has had commands in flight and
 * received nothing for STALL_MS, its socket is destroyed: the commands in flight fail (with
 * "Command timed out"), and later ones fail at once until it has reconnected.
 */
function dropWhenStalled(client: Redis): void {
  const c = client as unknown as ClientInternals;
  let lastData = Date.now();
  let waitingSince = 0;
  const onData = () => (lastData = Date.now());
  client.on('connect', () => {
    lastData = Date.now();
    c.stream?.on('data', onData);
  });
  let lastTick = Date.now();
  const stalled = () => c.commandQueue.length > 0 && Date.now() - Math.max(lastData, waitingSince) >= STALL_MS;
  const timer = setInterval(() => {
    const now = Date.now();
    const starved = now - lastTick > STALL_MS; // this process did not run (a busy machine), so it cannot tell
    lastTick = now;
    if (!c.commandQueue.length || starved) {
      waitingSince = 0;
      if (starved) lastData = now;
      return;
    }
    waitingSince ||= now - STALL_CHECK_MS; // in flight since the last check at the latest
    if (!stalled()) return;
    // Timers run before the event loop reads its sockets: after a long turn, a reply may be
    // waiting unread. setImmediate runs after that read, so only a real silence drops the socket.
    setImmediate(() => {
      if (!stalled()) return;
      waitingSince = 0;
      c.stream?.destroy(new Error(`Command timed out: Redis sent nothing for ${STALL_MS} ms`));
    });
  }, STALL_CHECK_MS);
  timer.unref();
  client.once('end', () => clearInterval(timer));
}

/** One command in this many is timed by `timeCommands`. */
export const COMMAND_SAMPLE_EVERY = 16;

/**
 * Reports the latency of one command in `every` sent on `client`, from the moment it is sent
 * (written, or queued behind an auto-pipeline) to its reply or failure, as
 * `observe(command name, seconds)`. Sampling keeps the cost off the hot path: the other
 * commands pay one counter decrement and a call. bench:ingest, six alternating runs each on a
 * shared 2-core machine, medians without → with it: T3 21.8k → 25.2k/s, T4 6.46k → 6.38k/s,
 * a difference inside the runs' spread (±30 %).
 */
export function timeCommands(client: Redis, observe: (command: string, seconds: number) => void, every = COMMAND_SAMPLE_EVERY): void {
  const send = client.sendCommand as (this: Redis, command: Command, stream?: unknown, node?: unknown) => unknown;
  let left = every;
  // fixed parameters (a Redis's sendCommand takes two, a Cluster's three), not rest and spread:
  // an array per command costs
  client.sendCommand = function (this: Redis, command: Command, stream?: unknown, node?: unknown) {
    if (--left > 0) return send.call(this, command, stream, node);
    left = every;
    const start = process.hrtime.bigint();
    const done = () => observe(command.name, Number(process.hrtime.bigint() - start) / 1e9);
    command.promise.then(done, done);
    return send.call(this, command, stream, node);
  } as Redis['sendCommand'];
}

/**
 * Resolves once the client is connected and ready. A `commands` client queues nothing while
 * it is not, so whoever uses it first waits here (at start).
 */
export function untilReady(client: Redis, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last: Error | null = null;
    const onError = (err: Error) => (last = err);
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(last ?? new Error('Connection is closed.'));
    const timer = setTimeout(() => done(new Error(`Redis not ready after ${timeoutMs} ms${last ? ` (${last.message})` : ''}`)), timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('end', onEnd);
  });
}

/** PING with its own deadline: false when Redis does not answer PONG within `timeoutMs`. */
export async function pingWithin(client: Redis, timeoutMs = READY_PING_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      client.ping(),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

// what ioredis (and BullMQ, which passes them on) reject a command with when Redis cannot be
// reached, does not answer in time, or is not serving yet
const UNAVAILABLE_MESSAGES = [
  'Command timed out',
  "Stream isn't writeable",
  'Connection is closed',
  'Command aborted due to connection close',
  'Reached the max retries per request limit',
  'Socket timeout. Expecting data',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  "Cluster isn't ready",
  'All sentinels are unreachable',
  'Too many Cluster redirections',
];
// MOVED and ASK reach a caller only when ioredis could not follow them: a Cluster pipeline
// (auto-pipelining) whose other commands were writes that already ran is not resent. The slot
// has moved (a failover, a stale slot map): a retry goes to the right node, so it is a 503.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|UNBLOCKED|MOVED|ASK)\b/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT']);

/**
 * Whether an error means "Redis is down or stalled" (answer 503, log no stack) rather than a
 * bug: ioredis's timeout, closed-connection and retry-limit errors, socket errors, and the
 * replies of a Redis that is loading, busy or failing over. Follows `cause` a few levels for
 * ioredis's own errors; a socket error counts only unwrapped (a `fetch failed` whose cause is
 * ECONNREFUSED is another server's trouble, e.g. an upstream identity provider's).
 */
export function isRedisUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    const { name, message } = e;
    const { code, syscall, cause } = e as { code?: unknown; syscall?: unknown; cause?: unknown };
    if (depth === 0 && typeof code === 'string' && syscall !== undefined && UNAVAILABLE_CODES.has(code)) return true;
    if (name === 'MaxRetriesPerRequestError' || name === 'ClusterAllFailedError') return true;
    if (message === 'connect ETIMEDOUT' || UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return true; // ioredis's connectTimeout: no address
    if (name === 'ReplyError' && UNAVAILABLE_REPLIES.test(message)) return true;
    e = cause;
  }
  return false;
}

interface WarnLog {
  warn: (o: object, m: string) => void;
  error: (o: object, m: string) => void;
}

/**
 * Logs failures without a stack per failure while Redis is unavailable: an unavailable-Redis
 * failure is one warn line (the message only) at most every `everyMs` per kind, with how many
 * were left out; anything else is logged as an error with its stack, as before.
 */
export class FailureLog {
  private readonly last = new Map<string, { at: number; skipped: number }>();
  constructor(private readonly log: WarnLog, private readonly everyMs = 5000) {}

  report(err: unknown, fields: object, msg: string): void {
    if (!isRedisUnavailable(err)) return this.log.error({ ...fields, err }, msg);
    const now = Date.now();
    const seen = this.last.get(msg);
    if (seen && now - seen.at < this.everyMs) {
      seen.skipped++;
      return;
    }
    this.last.set(msg, { at: now, skipped: 0 });
    this.log.warn({ ...fields, err: (err as Error).message, ...(seen?.skipped ? { alsoFailedMeanwhile: seen.skipped } : {}) }, `${msg}: redis unavailable`);
  }
}

/** The URL as it may be printed: a password in it is replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Connects once, without retrying, and pings: at start, a Redis that does not answer (a wrong
 * REDIS_URL, a server that is down, a missing password) is one clear sentence rather than
 * ioredis retrying and then failing deep inside the app's first command.
 */
export async function probeRedis(target: RedisTarget | string, timeoutMs = 5000): Promise<void> {
  const client = open(target, { connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {}); // untilReady keeps the last one: the cause (e.g. ECONNREFUSED, ENOTFOUND)
  try {
    await untilReady(client, timeoutMs);
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/**
 * Logs a long-lived client's connection trouble once per outage (ioredis emits an error on
 * every reconnect attempt, and prints "Unhandled error event" when nobody listens), and its
 * return. Commands meanwhile fail or wait per the client's options; /readyz says so.
 */
export function watchRedis(client: Redis, name: string, log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ redis: name, err: err.message }, 'redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: name }, 'redis connection restored');
  });
}
