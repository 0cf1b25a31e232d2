/**
 * Every Redis key name is built here. A realm's keys share the `{realm}` hash tag, so the
 * Lua scripts that touch several of them stay legal on Redis Cluster.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  /** The base every session script receives as ARGV[1]. */
  realmBase(realm: string): string {
    return `${this.prefix}:{${realm}}:`;
  }
  realms(): string {
    return `${this.prefix}:realms`;
  }
  session(realm: string, sid: string): string {
    return `${this.realmBase(realm)}s:${sid}`;
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
  userSessions(realm: string, uid: string): string {
    return `${this.realmBase(realm)}u:${uid}`;
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
  counters(realm: string, minute: number): string {
    return `${this.realmBase(realm)}cnt:${minute}`;
  }
  user(realm: string, uid: string): string {
    return `${this.realmBase(realm)}user:${uid}`;
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
  /** OIDC provider (server/oidc): every key under the realm's base, so scripts stay cluster-legal. */
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
  /**
   * BullMQ's own key prefix, in a hash tag: a queue's keys must share one slot on Redis Cluster
   * (BullMQ's scripts touch several). Jobs a deployment made under an older prefix are not
   * lost: the worker re-arms every marked slice when it starts (timers/wheel.ts).
   */
  bull(): string {
    return `{${this.prefix}:bull}`;
  }
}
