/**
 * A realm's signing keys, kept in Redis so that every process signs and verifies alike.
 * Generated on first use; ready for rotation: every key has a `kid`, JWKS publishes all of
 * them, and `rotate()` makes a new one active while the old ones keep verifying.
 *
 * Hash <base>oidc:keys:
 *   active   kid of the key that signs
 *   k:<kid>  the private JWK (JSON) — Redis is the one stateful dependency, guard it as such
 *   hmac     base64url secret for refresh tokens (HS256: read only by this server, like Keycloak's)
 *
 * Access and ID tokens are ES256: as standard as RS256 for the adapters, and ~30× cheaper
 * to sign, which is what lets one node do thousands of refreshes a second.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Keys } from '../redis/keys.js';
import type { ScriptedRedis } from '../redis/scripts.js';

export const SIGNING_ALG = 'ES256';
const CACHE_MS = 30_000;

export interface RealmKeys {
  kid: string;
  privateKey: CryptoKey;
  /** The same keys as node:crypto KeyObjects: signing synchronously skips a threadpool round trip per token. */
  privateKeyObject: KeyObject;
  publicKeyObjects: Map<string, KeyObject>;
  /** kid → public key, for verification. */
  publicKeys: Map<string, CryptoKey>;
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
    void p.then((k) => setTimeout(() => this.cache.get(realm) === p && this.cache.delete(realm), Math.max(0, k.loadedAt + CACHE_MS - Date.now())).unref());
    return p;
  }

  /** Forgets the cached keys (after a rotation, or when the realm is deleted). */
  forget(realm: string): void {
    this.cache.delete(realm);
  }

  /** Looks up a kid, reloading once if it is unknown (another process may have rotated). */
  async publicKey(realm: string, kid: string): Promise<CryptoKey | null> {
    let k = await this.get(realm);
    if (!k.publicKeys.has(kid) && Date.now() - k.loadedAt > 1000) {
      this.forget(realm);
      k = await this.get(realm);
    }
    return k.publicKeys.get(kid) ?? null;
  }

  async rotate(realm: string): Promise<string> {
    const kid = await this.generate(realm);
    await this.redis.hset(this.keys.oidcKeys(realm), 'active', kid);
    this.forget(realm);
    return kid;
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
      // first use: whoever sets `active` first wins; a loser's key just stays unused
      if (!h.active) {
        const kid = await this.generate(realm);
        await this.redis.hsetnx(key, 'active', kid);
      }
      await this.redis.hsetnx(key, 'hmac', randomBytes(32).toString('base64url'));
      h = await this.redis.hgetall(key);
    }
    const publicKeys = new Map<string, CryptoKey>();
    const publicKeyObjects = new Map<string, KeyObject>();
    const jwks: JWK[] = [];
    let privateKey: CryptoKey | null = null;
    let privateKeyObject: KeyObject | null = null;
    for (const [field, value] of Object.entries(h)) {
      if (!field.startsWith('k:')) continue;
      const jwk = JSON.parse(value) as JWK & { kid: string };
      const { d: _d, ...pub } = jwk;
      publicKeys.set(jwk.kid, (await importJWK(pub, SIGNING_ALG)) as CryptoKey);
      publicKeyObjects.set(jwk.kid, createPublicKey({ key: pub as import('node:crypto').JsonWebKey, format: 'jwk' }));
      jwks.push(pub);
      if (jwk.kid === h.active) {
        privateKey = (await importJWK(jwk, SIGNING_ALG)) as CryptoKey;
        privateKeyObject = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      }
    }
    if (!privateKey || !privateKeyObject) throw new Error(`realm ${realm}: the active signing key ${h.active} is missing`);
    return { kid: h.active!, privateKey, privateKeyObject, publicKeyObjects, publicKeys, jwks: { keys: jwks }, hmac: Buffer.from(h.hmac!, 'base64url'), loadedAt: Date.now() };
  }
}
