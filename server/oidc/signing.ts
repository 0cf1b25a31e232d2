/**
 * A realm's signing keys, kept in Redis so that every process signs and verifies alike.
 * Generated on first use; every key has a `kid`, JWKS publishes the live ones, and `rotate()`
 * makes a new one active while the old ones keep verifying — but only as long as a token they
 * signed can live: rotation gives the replaced key a retire-at (now + the longest lifetime of a
 * token it may have signed + CACHE_MS, the longest another process may still sign with it), and
 * a key past it is dropped from the JWKS and from verification. `retire()` removes a key at once.
 *
 * Hash <base>oidc:keys:
 *   active   kid of the key that signs
 *   k:<kid>  the private JWK (JSON) — Redis is the one stateful dependency, guard it as such
 *   r:<kid>  retire-at, ms, of a rotated-out key
 *   hmac     base64url secret for refresh tokens (HS256: read only by this server, like Keycloak's)
 *
 * Each process caches the keys for CACHE_MS. What that cache may hold back:
 *  - verification never trusts a retired key: a key past its retire-at is refused from the cache
 *    by the clock, and every verification also asks Redis whether the kid is still there
 *    (`published`; the access-token check does it in the pipeline it already sends), so a key
 *    retired by DELETE stops verifying in every process as soon as the DELETE has answered;
 *  - the JWKS compares the cached kids with Redis's on each request and reloads when they differ;
 *  - signing may go on with a rotated-out (or, if an admin retires it right away, a removed) key
 *    for at most CACHE_MS after the rotation in another process: such tokens fail closed.
 *
 * Access and ID tokens are ES256: as standard as RS256 for the adapters, and ~30× cheaper
 * to sign, which is what lets one node do thousands of refreshes a second.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';
import { SigningKeyResult } from '../redis/results.js';

export const SIGNING_ALG = 'ES256';
/** How long a process keeps a realm's keys without looking at Redis (the signing staleness bound). */
export const CACHE_MS = 10_000;
export const KID = /^[A-Za-z0-9_-]{1,64}$/;

export interface RealmKeys {
  kid: string;
  privateKey: CryptoKey;
  /** The same keys as node:crypto KeyObjects: signing synchronously skips a threadpool round trip per token. */
  privateKeyObject: KeyObject;
  publicKeyObjects: Map<string, KeyObject>;
  /** kid → public key, for verification. */
  publicKeys: Map<string, CryptoKey>;
  /** kid → retire-at (ms) of the rotated-out keys among them. */
  retireAt: Map<string, number>;
  jwks: { keys: JWK[] };
  hmac: Uint8Array;
  loadedAt: number;
}

export class SigningKeys {
  private readonly cache = new Map<string, Promise<RealmKeys>>();
  constructor(private readonly redis: ScriptedRedis, private readonly keys: Keys) {}

  /** The realm's keys (generated on first use), cached briefly in this process. */
  get(realm: string): Promise<RealmKeys> {
    const hit = this.cache.get(realm);
    if (hit) return hit;
    const p = this.load(realm).catch((err) => {
      this.cache.delete(realm);
      throw err;
    });
    this.cache.set(realm, p);
    void p.then((k) => setTimeout(() => this.cache.get(realm) === p && this.cache.delete(realm), Math.max(0, k.loadedAt + CACHE_MS - Date.now())).unref(), () => {});
    return p;
  }

  /** Forgets the cached keys (after a rotation, or when the realm is deleted). */
  forget(realm: string): void {
    this.cache.delete(realm);
  }

  /** Whether a kid may verify now by this process's cache (known, not past its retire-at). */
  private usable(k: RealmKeys, kid: string): boolean {
    const r = k.retireAt.get(kid);
    return k.publicKeys.has(kid) && (r === undefined || r > Date.now());
  }

  /** Looks up a kid, reloading once if it is unknown (another process may have rotated). */
  async publicKey(realm: string, kid: string): Promise<CryptoKey | null> {
    let k = await this.get(realm);
    if (!k.publicKeys.has(kid) && Date.now() - k.loadedAt > 1000) {
      this.forget(realm);
      k = await this.get(realm);
    }
    return this.usable(k, kid) ? k.publicKeys.get(kid)! : null;
  }

  /** The node:crypto public key of a usable kid (after publicKey() found it). */
  async publicKeyObject(realm: string, kid: string): Promise<KeyObject | null> {
    const k = await this.get(realm);
    return this.usable(k, kid) ? k.publicKeyObjects.get(kid) ?? null : null;
  }

  /** The Redis command that tells whether a kid is still published (not retired by DELETE). */
  publishedCommand(realm: string, kid: string): [string, string] {
    return [this.keys.oidcKeys(realm), `k:${kid}`];
  }

  /** Whether the kid is still in Redis: a key retired in any process is refused by all at once. */
  async published(realm: string, kid: string): Promise<boolean> {
    return (await this.redis.hexists(...this.publishedCommand(realm, kid))) === 1;
  }

  /** The JWKS as Redis has it now: reloaded when another process rotated or retired a key. */
  async jwks(realm: string): Promise<{ keys: JWK[] }> {
    let k = await this.get(realm);
    const inRedis = (await this.redis.hkeys(this.keys.oidcKeys(realm))).filter((f) => f.startsWith('k:')).map((f) => f.slice(2));
    const cached = new Set([...k.publicKeys.keys()]);
    const lapsed = [...k.retireAt.values()].some((at) => at <= Date.now());
    // reloading drops (and deletes) the keys whose tokens have all ended
    if (lapsed || inRedis.length !== cached.size || inRedis.some((kid) => !cached.has(kid))) {
      this.forget(realm);
      k = await this.get(realm);
    }
    return { keys: k.jwks.keys.filter((j) => this.usable(k, String(j.kid))) };
  }

  /**
   * Makes a new key active. The replaced one keeps verifying for `tokenLifetimeMs` (the longest
   * a token it signed can live) plus CACHE_MS (other processes may sign with it until their
   * cache ends), then leaves the JWKS.
   */
  async rotate(realm: string, tokenLifetimeMs: number): Promise<string> {
    await this.get(realm); // the realm's first key exists before it is replaced
    const kid = await this.generate(realm);
    const [ok] = (await this.redis.oidcRotateKey(...this.keys.script.oidcRotateKey(realm), kid, Math.max(0, tokenLifetimeMs) + CACHE_MS)) as [number];
    if (Number(ok) !== SigningKeyResult.Ok) throw new Error(`realm ${realm}: the new signing key ${kid} vanished before it became active`);
    this.forget(realm);
    return kid;
  }

  /** Removes a rotated-out key at once: 'retired', 'unknown', or 'active' (refused). */
  async retire(realm: string, kid: string): Promise<'retired' | 'unknown' | 'active'> {
    if (!KID.test(kid)) return 'unknown';
    const r = Number(await this.redis.oidcRetireKey(...this.keys.script.oidcRetireKey(realm), kid));
    this.forget(realm);
    return r === SigningKeyResult.Ok ? 'retired' : r === SigningKeyResult.Active ? 'active' : 'unknown';
  }

  private async generate(realm: string): Promise<string> {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = randomBytes(12).toString('base64url');
    await this.redis.hset(this.keys.oidcKeys(realm), `k:${kid}`, JSON.stringify({ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' }));
    return kid;
  }

  private async load(realm: string): Promise<RealmKeys> {
    const key = this.keys.oidcKeys(realm);
    let h = await this.redis.hgetall(key);
    if (!h.active || !h.hmac) {
      // first use: whoever sets `active` first wins; a loser removes its key, which never signed
      if (!h.active) {
        const kid = await this.generate(realm);
        if (!(await this.redis.hsetnx(key, 'active', kid))) await this.redis.hdel(key, `k:${kid}`);
      }
      await this.redis.hsetnx(key, 'hmac', randomBytes(32).toString('base64url'));
      h = await this.redis.hgetall(key);
    }
    const now = Date.now();
    const publicKeys = new Map<string, CryptoKey>();
    const publicKeyObjects = new Map<string, KeyObject>();
    const retireAt = new Map<string, number>();
    const jwks: JWK[] = [];
    const expired: string[] = [];
    let privateKey: CryptoKey | null = null;
    let privateKeyObject: KeyObject | null = null;
    for (const [field, value] of Object.entries(h)) {
      if (!field.startsWith('k:')) continue;
      const jwk = JSON.parse(value) as JWK & { kid: string };
      const r = h[`r:${jwk.kid}`];
      if (r !== undefined && jwk.kid !== h.active) {
        // every token it signed has ended: it leaves the JWKS and Redis
        if (Number(r) <= now) {
          expired.push(`k:${jwk.kid}`, `r:${jwk.kid}`);
          continue;
        }
        retireAt.set(jwk.kid, Number(r));
      }
      const { d: _d, ...pub } = jwk;
      publicKeys.set(jwk.kid, (await importJWK(pub, SIGNING_ALG)) as CryptoKey);
      publicKeyObjects.set(jwk.kid, createPublicKey({ key: pub as import('node:crypto').JsonWebKey, format: 'jwk' }));
      jwks.push(pub);
      if (jwk.kid === h.active) {
        privateKey = (await importJWK(jwk, SIGNING_ALG)) as CryptoKey;
        privateKeyObject = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      }
    }
    // a key with a retire-at is never active again (rotation only activates new keys), so this cannot race
    if (expired.length) await this.redis.hdel(key, ...expired);
    if (!privateKey || !privateKeyObject) throw new Error(`realm ${realm}: the active signing key ${h.active} is missing`);
    return { kid: h.active!, privateKey, privateKeyObject, publicKeyObjects, publicKeys, retireAt, jwks: { keys: jwks }, hmac: Buffer.from(h.hmac!, 'base64url'), loadedAt: now };
  }
}
