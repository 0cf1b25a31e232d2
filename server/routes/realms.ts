/**
 * Realm management: /api/v1/realms. Only an admin of realm `default` (the bootstrap admin's
 * realm) may list, create and delete realms. Each realm has its own users, policy, signing
 * keys, clients and event stream — all under its `{realm}` key base — so deleting a realm
 * terminates its sessions (with their final events) and then removes every key under that base.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { vigilError } from '../errors.js';
import { ROOT_REALM } from '../realms/service.js';
import { identifyIn, roleProblem } from '../auth/guard.js';
import { errorResponses } from '../schemas/errors.js';
import { NoContent, RealmParams, SECURITY } from '../schemas/common.js';
import { RealmCreateBody, RealmCreated, RealmList } from '../schemas/realms.js';

const realms_ = { tags: ['realms'], security: SECURITY };

export const realmRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { realms, realmService } = app;

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
    const { realm, admin, policy = {} } = req.body;
    const made = await realmService.create(realm, policy, admin, rootAdmin(req));
    return reply.code(201).send({ realm: { realm, ...made } });
  });

  app.delete('/api/v1/realms/:realm', {
    schema: {
      ...realms_, params: RealmParams, summary: 'Delete a realm', description: 'Terminates its sessions (with their final events), then removes everything it holds; realm default cannot be deleted (409).',
      response: { 204: NoContent, ...errorResponses(401, 403, 404, 409) },
    },
  }, async (req, reply) => {
    await realmService.remove(req.params.realm, rootAdmin(req));
    return reply.code(204).send();
  });
};
