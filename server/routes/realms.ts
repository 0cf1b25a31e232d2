/**
 * Realm management: /api/v1/realms. Only an admin of realm `default` (the bootstrap admin's
 * realm) may list, create and delete realms. Each realm has its own users, policy, signing
 * keys, clients and event stream — all under its `{realm}` key base — so deleting a realm
 * terminates its sessions (with their final events) and then removes every key under that base.
 */
import { deleteMatching } from '../redis/purge.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { vigilError } from '../errors.js';
import { identifyIn, roleProblem } from '../auth/guard.js';
import { REALM_NAME } from '../realms/store.js';
import { objectBody, requiredString } from './validate.js';

const ROOT_REALM = 'default';

export async function realmRoutes(app: FastifyInstance): Promise<void> {
  const { realms, users, engine } = app.vigil;

  /** The caller, an admin of realm default (the same guard as every realm route, in realm default). */
  const rootAdmin = async (req: FastifyRequest, reply: FastifyReply): Promise<string> => {
    await identifyIn(req, reply, ROOT_REALM);
    if (!req.principal) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'Sign in to realm default as an admin first');
    if (roleProblem(req.principal, 'admin', true)) throw vigilError('VIGIL_ERR_FORBIDDEN', 'only an admin of realm default may manage realms');
    return req.principal.user!.username;
  };

  app.get('/api/v1/realms', async (req, reply) => {
    await rootAdmin(req, reply);
    return { realms: (await realms.list()).map((realm) => ({ realm })) };
  });

  app.post('/api/v1/realms', async (req, reply) => {
    const by = await rootAdmin(req, reply);
    const body = objectBody(req.body);
    const realm = requiredString(body, 'realm', 40);
    if (!REALM_NAME.test(realm)) throw vigilError('VIGIL_ERR_VALIDATION', 'realm must be 1 to 40 lowercase letters, digits, _ or -, starting with a letter or digit');
    let admin: { username: string; password: string } | null = null;
    if (body.admin !== undefined) {
      const a = objectBody(body.admin);
      admin = { username: requiredString(a, 'username', 64), password: requiredString(a, 'password', 256) };
    }
    const policy = body.policy === undefined ? {} : objectBody(body.policy);
    if (await realms.exists(realm)) throw vigilError('VIGIL_ERR_CONFLICT', `realm ${realm} already exists`);
    if (!(await realms.create(realm, policy))) throw vigilError('VIGIL_ERR_CONFLICT', `realm ${realm} already exists`);
    let adminUser: string | null = null;
    if (admin) {
      try {
        const p = await realms.policy(realm);
        adminUser = (await users.create(realm, { ...admin, roles: ['admin'] }, p.defaultTokenLifetime)).username;
      } catch (err) {
        await removeRealm(app, realm, by); // no half-made realm is left behind
        throw err;
      }
    }
    await engine.emit(ROOT_REALM, 'realm.created', { realm, by: { username: by } });
    return reply.code(201).send({ realm: { realm, policy: await realms.policy(realm), admin: adminUser ? { username: adminUser } : null } });
  });

  app.delete('/api/v1/realms/:realm', async (req, reply) => {
    const by = await rootAdmin(req, reply);
    const realm = (req.params as { realm: string }).realm;
    if (realm === ROOT_REALM) throw vigilError('VIGIL_ERR_CONFLICT', 'realm default cannot be deleted');
    if (!(await realms.exists(realm))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
    const terminated = await removeRealm(app, realm, by);
    await engine.emit(ROOT_REALM, 'realm.deleted', { realm, terminated, by: { username: by } });
    return reply.code(204).send();
  });

}

/** How long a deleted realm's event stream outlives it, so every process delivers its final events. */
const DELETED_STREAM_TTL_SECONDS = 300;

/**
 * Terminates every session of the realm, announces the deletion on the realm's own stream (every
 * process then closes that realm's connections, display walls included), and deletes every key
 * under its base but the stream, which expires a few minutes later.
 */
export async function removeRealm(app: FastifyInstance, realm: string, by: string | null): Promise<number> {
  const { engine, redis, keys } = app.vigil;
  await redis.srem(keys.realms(), realm); // no new logins from here on
  const terminated = await engine.terminateMany(realm, await engine.sessionIds(realm), 'admin', by);
  await engine.emit(realm, 'realm.deleted', { realm, by: by ? { username: by } : null });
  const stream = keys.events(realm);
  await deleteMatching(redis, `${keys.realmBase(realm)}*`, (k) => k === stream);
  await redis.expire(stream, DELETED_STREAM_TTL_SECONDS);
  app.vigil.oidc?.signing.forget(realm);
  return terminated;
}
