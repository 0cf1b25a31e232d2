/**
 * Realm management: /api/v1/realms. Only an admin of realm `default` (the bootstrap admin's
 * realm) may list, create and delete realms. Each realm has its own users, policy, signing
 * keys, clients and event stream — all under its `{realm}` key base — so deleting a realm
 * terminates its sessions (with their final events) and then removes every key under that base.
 */
import { deleteMatching } from '../redis/purge.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { vigilError } from '../errors.js';
import { identifyIn, roleProblem } from '../auth/guard.js';
import { errorResponses } from '../schemas/errors.js';
import { NoContent, RealmParams, SECURITY } from '../schemas/common.js';
import { RealmCreateBody, RealmCreated, RealmList } from '../schemas/realms.js';

const ROOT_REALM = 'default';
const realms_ = { tags: ['realms'], security: SECURITY };

export const realmRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { realms, users, engine } = app.vigil;

  // the caller must be an admin of realm default (the same guard as every realm route, in realm
  // default), checked before validation: a caller who may not use a route learns nothing of its rules
  app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    await identifyIn(req, reply, ROOT_REALM);
    if (!req.principal) throw vigilError('VIGIL_ERR_UNAUTHENTICATED', 'Sign in to realm default as an admin first');
    if (roleProblem(req.principal, 'admin', true)) throw vigilError('VIGIL_ERR_FORBIDDEN', 'only an admin of realm default may manage realms');
  });
  /** The admin of realm default making the request. */
  const rootAdmin = (req: FastifyRequest): string => req.principal!.user!.username;

  app.get('/api/v1/realms', {
    schema: { ...realms_, summary: 'List realms', description: 'For admins of realm default.', response: { 200: RealmList, ...errorResponses(401, 403) } },
  }, async () => ({ realms: (await realms.list()).map((realm) => ({ realm })) }));

  app.post('/api/v1/realms', {
    schema: {
      ...realms_, summary: 'Create a realm', description: 'With its own users, policy, signing keys, clients and event stream; optionally its first admin (realm.created).',
      body: RealmCreateBody, response: { 201: RealmCreated, ...errorResponses(401, 403, 409, 413) },
    },
  }, async (req, reply) => {
    const by = rootAdmin(req);
    const { realm, admin, policy = {} } = req.body;
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

  app.delete('/api/v1/realms/:realm', {
    schema: {
      ...realms_, params: RealmParams, summary: 'Delete a realm', description: 'Terminates its sessions (with their final events), then removes everything it holds; realm default cannot be deleted (409).',
      response: { 204: NoContent, ...errorResponses(401, 403, 404, 409) },
    },
  }, async (req, reply) => {
    const by = rootAdmin(req);
    const realm = req.params.realm;
    if (realm === ROOT_REALM) throw vigilError('VIGIL_ERR_CONFLICT', 'realm default cannot be deleted');
    if (!(await realms.exists(realm))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no realm ${realm}`);
    const terminated = await removeRealm(app, realm, by);
    await engine.emit(ROOT_REALM, 'realm.deleted', { realm, terminated, by: { username: by } });
    return reply.code(204).send();
  });
};

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
