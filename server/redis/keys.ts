/**
 * Every Redis key name is built here, and nowhere else. A realm's keys share the `{realm}`
 * hash tag, so one realm lives in one Redis Cluster slot; a Lua script gets every key it
 * touches in KEYS (`script` below, in the order of each script's header), or a prefix key it
 * derives the keys it only learns inside from (a due session's hash: the session prefix plus
 * the id), which keeps the same slot by the same tag.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  /** Every key of a realm starts with this (the `{realm}` hash tag is in it). */
  private realmBase(realm: string): string {
    return `${this.prefix}:{${realm}}:`;
  }
  /** A SCAN/KEYS pattern for every key of a realm. */
  realmPattern(realm: string): string {
    return `${this.realmBase(realm)}*`;
  }
  realms(): string {
    return `${this.prefix}:realms`;
  }
  /** Session hashes are this plus the session id. */
  sessionPrefix(realm: string): string {
    return `${this.realmBase(realm)}s:`;
  }
  session(realm: string, sid: string): string {
    return `${this.sessionPrefix(realm)}${sid}`;
  }
  tokens(realm: string): string {
    return `${this.realmBase(realm)}tokens`;
  }
  deadlines(realm: string): string {
    return `${this.realmBase(realm)}deadlines`;
  }
  /** The time slices that have a timer job (the scripts' `KB .. 'slices'`). */
  slices(realm: string): string {
    return `${this.realmBase(realm)}slices`;
  }
  /** A user's session sets are this plus the user id. */
  userSessionsPrefix(realm: string): string {
    return `${this.realmBase(realm)}u:`;
  }
  userSessions(realm: string, uid: string): string {
    return `${this.userSessionsPrefix(realm)}${uid}`;
  }
  events(realm: string): string {
    return `${this.realmBase(realm)}events`;
  }
  policy(realm: string): string {
    return `${this.realmBase(realm)}policy`;
  }
  /** Live sessions by kind and in warning, kept by the session scripts (includes/common.lua `count`). */
  counts(realm: string): string {
    return `${this.realmBase(realm)}count`;
  }
  /** Each node's real-time client count for the realm, `count:reportedAtMs` (realms/stats.ts). */
  connectionCounts(realm: string): string {
    return `${this.realmBase(realm)}conns`;
  }
  /** One node's real-time connections of the realm, connection id → description, with a TTL (realtime/directory.ts). */
  nodeConnections(realm: string, nodeId: string): string {
    return `${this.realmBase(realm)}rtc:${nodeId}`;
  }
  /** The nodes holding real-time connections of the realm, node → last refresh (ms). */
  connectionNodes(realm: string): string {
    return `${this.realmBase(realm)}rtnodes`;
  }
  /** The pub/sub channel a node takes closes of its connections on (`{realm, id}` as JSON). */
  connectionCommands(nodeId: string): string {
    return `${this.prefix}:rtc-close:${nodeId}`;
  }
  /** The per-minute event counters are this plus the minute (ms since the epoch / 60000). */
  countersPrefix(realm: string): string {
    return `${this.realmBase(realm)}cnt:`;
  }
  counters(realm: string, minute: number): string {
    return `${this.countersPrefix(realm)}${minute}`;
  }
  /** User hashes are this plus the user id. */
  userPrefix(realm: string): string {
    return `${this.realmBase(realm)}user:`;
  }
  user(realm: string, uid: string): string {
    return `${this.userPrefix(realm)}${uid}`;
  }
  usernames(realm: string): string {
    return `${this.realmBase(realm)}usernames`;
  }
  displayKeys(realm: string): string {
    return `${this.realmBase(realm)}dkeys`;
  }
  displayKey(realm: string, id: string): string {
    return `${this.realmBase(realm)}dk:${id}`;
  }
  displayKeyHashes(realm: string): string {
    return `${this.realmBase(realm)}dkh`;
  }
  /** Password attempts of one username (a digest of it) from one address: auth/login-limiter.ts. */
  loginAttemptsOfUserAt(realm: string, usernameDigest: string, address: string): string {
    return `${this.realmBase(realm)}lf:ua:${usernameDigest}:${address}`;
  }
  /** The username (a digest of it) signed in from this address lately: a familiar address. */
  loginFamiliarAddress(realm: string, usernameDigest: string, address: string): string {
    return `${this.realmBase(realm)}lf:k:${usernameDigest}:${address}`;
  }
  /** Password attempts from one address, any username. */
  loginAttemptsAt(realm: string, address: string): string {
    return `${this.realmBase(realm)}lf:a:${address}`;
  }
  /** OIDC provider (server/oidc): every key under the realm's base, in the realm's slot. */
  oidcClients(realm: string): string {
    return `${this.realmBase(realm)}oidc:clients`;
  }
  oidcClient(realm: string, clientId: string): string {
    return `${this.realmBase(realm)}oidc:client:${clientId}`;
  }
  oidcKeys(realm: string): string {
    return `${this.realmBase(realm)}oidc:keys`;
  }
  oidcCode(realm: string, codeHash: string): string {
    return `${this.realmBase(realm)}oidc:code:${codeHash}`;
  }
  oidcClientSession(realm: string, sid: string, clientId: string): string {
    return `${this.realmBase(realm)}oidc:cs:${sid}:${clientId}`;
  }
  oidcLogin(realm: string, loginId: string): string {
    return `${this.realmBase(realm)}oidc:login:${loginId}`;
  }
  oidcRevoked(realm: string, jti: string): string {
    return `${this.realmBase(realm)}oidc:revoked:${jti}`;
  }
  /** Lower-cased e-mail address → user id: addresses are unique within a realm (Keycloak's default). */
  userEmails(realm: string): string {
    return `${this.realmBase(realm)}emails`;
  }
  /** Upstream identity `alias` + "\n" + its subject → the local user id it is linked to. */
  userIdentities(realm: string): string {
    return `${this.realmBase(realm)}identities`;
  }
  /** One user's links to upstream identities (hash): provider alias → its subject; the reverse of `identities`. */
  userLinks(realm: string, userId: string): string {
    return `${this.realmBase(realm)}links:${userId}`;
  }
  /** The realm's identity providers (aliases). */
  identityProviders(realm: string): string {
    return `${this.realmBase(realm)}idps`;
  }
  /** One identity provider (hash): alias, issuer, clientId, clientSecret, displayName. */
  identityProvider(realm: string, alias: string): string {
    return `${this.realmBase(realm)}idp:${alias}`;
  }
  /** A brokered login in flight at the upstream provider, by its `state` (JSON, short-lived). */
  brokerState(realm: string, state: string): string {
    return `${this.realmBase(realm)}idp:state:${state}`;
  }
  /** The realm's outbox: message ids by creation time (ms), newest last (mail/outbox.ts). */
  outbox(realm: string): string {
    return `${this.realmBase(realm)}outbox`;
  }
  /** One outbox message (hash): to, subject, text, html, status, attempts, createdAt, error. */
  outboxMessage(realm: string, id: string): string {
    return `${this.realmBase(realm)}mail:${id}`;
  }
  /** The realm's action-token HMAC key (mail/action-tokens.ts): made on first use, never shown. */
  actionTokenSecret(realm: string): string {
    return `${this.realmBase(realm)}atk:secret`;
  }
  /** Set when the action token with this id is used (single use); expires when the token would. */
  actionTokenUsed(realm: string, tokenId: string): string {
    return `${this.realmBase(realm)}atk:used:${tokenId}`;
  }
  /** The id of the newest action token of an operation sent to a user: an older one is superseded. */
  actionTokenLatest(realm: string, userId: string, operation: string): string {
    return `${this.realmBase(realm)}atk:latest:${userId}:${operation}`;
  }
  /** Reset-password links sent to one user in the current hour (a counter with a TTL). */
  resetLinksOfUser(realm: string, userId: string): string {
    return `${this.realmBase(realm)}atk:rl:u:${userId}`;
  }
  /** Reset-password requests from one client address in the current window. */
  resetRequestsAt(realm: string, address: string): string {
    return `${this.realmBase(realm)}atk:rl:a:${address}`;
  }
  /** Outbound delivery (server/outbound): the realm's webhook ids. */
  webhooks(realm: string): string {
    return `${this.realmBase(realm)}wh`;
  }
  /** One webhook: url, events, description, secret, enabled, createdAt, failure state. */
  webhook(realm: string, id: string): string {
    return `${this.realmBase(realm)}wh:${id}`;
  }
  /** A webhook's delivery attempts, newest first, bounded (a list of JSON records). */
  webhookDeliveries(realm: string, id: string): string {
    return `${this.realmBase(realm)}whd:${id}`;
  }
  /**
   * The realm's stream consumers that deliver outward, consumer → the id of the last event it
   * is done with: `wh:<id>` per enabled webhook, `bcl` for back-channel logout.
   */
  outboundCursors(realm: string): string {
    return `${this.realmBase(realm)}ob:cursors`;
  }
  /** The realms that have outbound consumers: what the delivery sweep looks at. */
  outboundRealms(): string {
    return `${this.prefix}:ob:realms`;
  }
  /** @fastify/rate-limit's key prefix (its nameSpace) for the OIDC endpoints (oidc/plugin.ts). */
  rateLimits(): string {
    return `${this.prefix}:rl:`;
  }
  /**
   * BullMQ's own key prefix, in a hash tag: a queue's keys must share one slot on Redis Cluster
   * (BullMQ's scripts touch several). Jobs a deployment made under an older prefix are not
   * lost: the worker re-arms every marked slice when it starts (timers/wheel.ts).
   */
  bull(): string {
    return `{${this.prefix}:bull}`;
  }

  /**
   * KEYS[1..8] of every script that includes lua/includes/common.lua, in its header's order.
   * Built once per realm: they go with every activity (bench:ingest's T3 path).
   */
  private sessionScript(realm: string): string[] {
    let keys = this.common.get(realm);
    if (!keys) {
      if (this.common.size >= 10_000) this.common.clear();
      keys = [
        this.policy(realm), this.deadlines(realm), this.slices(realm), this.events(realm),
        this.countersPrefix(realm), this.counts(realm), this.tokens(realm), this.userSessionsPrefix(realm),
      ];
      this.common.set(realm, keys);
    }
    return keys;
  }
  private readonly common = new Map<string, string[]>();

  /** The KEYS of each Lua script in ./lua (`<name>-<number of KEYS>.lua`), in its header's order. */
  readonly script = {
    createSession: (realm: string, sid: string, uid: string) => [...this.sessionScript(realm), this.session(realm, sid), this.userSessions(realm, uid), this.sessionPrefix(realm)],
    emitEvent: (realm: string) => this.sessionScript(realm),
    endSession: (realm: string, sid: string) => [...this.sessionScript(realm), this.session(realm, sid)],
    extendSession: (realm: string, sid: string) => [...this.sessionScript(realm), this.session(realm, sid)],
    setIdleTimeout: (realm: string, sid: string) => [...this.sessionScript(realm), this.session(realm, sid)],
    touchSession: (realm: string, sid: string) => [...this.sessionScript(realm), this.session(realm, sid)],
    resolveToken: (realm: string) => [...this.sessionScript(realm), this.sessionPrefix(realm), this.userPrefix(realm)],
    fireDue: (realm: string) => [...this.sessionScript(realm), this.sessionPrefix(realm)],
    finishSlice: (realm: string) => [this.deadlines(realm), this.slices(realm)],
    oidcRefresh: (realm: string, sid: string, clientId: string) => [...this.sessionScript(realm), this.session(realm, sid), this.oidcClientSession(realm, sid, clientId)],
    oidcRedeemCode: (realm: string, codeHash: string) => [...this.sessionScript(realm), this.oidcCode(realm, codeHash), this.sessionPrefix(realm)],
    oidcRotateKey: (realm: string): [string] => [this.oidcKeys(realm)],
    oidcRetireKey: (realm: string): [string] => [this.oidcKeys(realm)],
    consumeActionToken: (realm: string, tokenId: string, userId: string, operation: string): [string, string] => [this.actionTokenUsed(realm, tokenId), this.actionTokenLatest(realm, userId, operation)],
    outboundAdvance: (realm: string): [string] => [this.outboundCursors(realm)],
    loginReserve: (realm: string, usernameDigest: string, address: string) => this.loginLimits(realm, usernameDigest, address),
    loginRelease: (realm: string, usernameDigest: string, address: string) => this.loginLimits(realm, usernameDigest, address),
  };

  /** login-reserve-3.lua's and login-release-3.lua's KEYS. */
  private loginLimits(realm: string, usernameDigest: string, address: string): [string, string, string] {
    return [this.loginAttemptsOfUserAt(realm, usernameDigest, address), this.loginAttemptsAt(realm, address), this.loginFamiliarAddress(realm, usernameDigest, address)];
  }
}
