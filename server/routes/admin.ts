/** Admin management: users, display keys and the realm policy; and the wall display's stats. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vigilError } from '../errors.js';
import { identify, need, realmOf } from '../auth/guard.js';
import { publicUser } from '../users/store.js';
import { errorResponses } from '../schemas/errors.js';
import { answer, NoContent, RealmParams, realmParams, SECURITY } from '../schemas/common.js';
import { UserCreateBody, UserParams, UserPatchBody } from '../schemas/users.js';
import { DisplayKeyBody } from '../schemas/display-keys.js';
import { PolicyPatch } from '../schemas/policy.js';
import type { Stats } from '../../shared/protocol.js';

const users_ = { tags: ['users'], security: SECURITY };
const keys_ = { tags: ['display-keys'], security: SECURITY };
const conns_ = { tags: ['connections'], security: SECURITY };
const policy_ = { tags: ['policy'], security: SECURITY, params: RealmParams };
const ByUsername = realmParams('username', UserParams.properties.username);
const UserBody = Type.Object({ user: Type.Ref('User') }, { description: 'The user' });
const PolicyBody = Type.Object({ policy: Type.Ref('Policy') }, { description: 'The realm policy' });

export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { engine, users, displayKeys, realms } = app;
  // before validation, as before schemas: a caller who may not use a route learns nothing of its rules
  app.addHook('preValidation', identify);

  const endUserSessions = async (realm: string, userId: string, by: string) => {
    const ids = await engine.userSessionIds(realm, userId);
    await engine.terminateMany(realm, ids, 'user-disabled', by);
  };

  app.get('/users', {
    preValidation: need('admin'),
    schema: { ...users_, params: RealmParams, summary: 'List users', response: { 200: Type.Object({ users: Type.Array(Type.Ref('User')) }, { description: 'Every user of the realm, by username' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ users: (await users.list(realmOf(req))).map(publicUser) }));

  app.post('/users', {
    preValidation: need('admin'),
    schema: {
      ...users_, params: RealmParams, summary: 'Create a user', description: 'tokenLifetime defaults to the policy\'s defaultTokenLifetime, roles to ["user"]. With the policy\'s verifyEmail on, a user made with an unverified email is mailed a verify-email link.',
      body: UserCreateBody, response: { 201: UserBody, ...errorResponses(401, 403, 404, 409, 413) },
    },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const policy = await realms.policy(realm);
    const user = await users.create(realm, req.body, policy.defaultTokenLifetime);
    await app.accountActions.addressSet(realm, user, req.principal!.user!.username);
    return reply.code(201).send({ user: publicUser(user) });
  });

  app.get('/users/:username', {
    preValidation: need('admin'),
    schema: { ...users_, params: ByUsername, summary: 'Read a user', response: { 200: UserBody, ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const realm = realmOf(req);
    const user = await users.byUsername(realm, req.params.username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${req.params.username} in realm ${realm}`);
    return { user: publicUser(user) };
  });

  app.patch('/users/:username', {
    preValidation: need('admin'),
    schema: {
      ...users_, params: ByUsername, summary: 'Change a user',
      description: 'Disabling a user ends their sessions (user-disabled); setting a password ends them too (credentials-changed), but the caller\'s own; a new tokenLifetime applies to their live console sessions.',
      body: UserPatchBody, response: { 200: UserBody, ...errorResponses(401, 403, 404, 409, 413) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const username = req.params.username;
    const body = req.body;
    if (body.enabled === false && username === req.principal!.user?.username) throw vigilError('VIGIL_ERR_CONFLICT', 'you cannot disable your own account');
    const { before, after } = await users.patch(realm, username, body);
    const by = req.principal!.user!.username;
    if (before.enabled && !after.enabled) await endUserSessions(realm, after.id, by);
    if (after.email && after.email !== before.email) await app.accountActions.addressSet(realm, after, by);
    else {
      if (body.password !== undefined) {
        // whoever held the old password is signed out everywhere: every session ends, and the
        // refresh tokens with them (a refresh of an ended session is invalid_grant). An admin
        // setting their own password keeps the session they did it from, as the contract has
        // PUT /me/password do: that session is the one making the change, and ending it would
        // only send them to sign in again with the password they just set.
        const ids = (await engine.userSessionIds(realm, after.id)).filter((id) => id !== req.principal!.sessionId);
        await engine.terminateMany(realm, ids, 'credentials-changed', by);
      }
      if (before.tokenLifetime !== after.tokenLifetime) await engine.applyTokenLifetime(realm, after.id, after.tokenLifetime);
    }
    // REST reads the roles afresh on every request; real-time connections are told on the stream every process reads
    if ([...before.roles].sort().join() !== [...after.roles].sort().join()) {
      await engine.emit(realm, 'user.updated', { id: after.id, username: after.username, fields: ['roles'], by: { username: by } });
    }
    return { user: publicUser(after) };
  });

  app.delete('/users/:username', {
    preValidation: need('admin'),
    schema: { ...users_, params: ByUsername, summary: 'Delete a user', description: 'Ends their sessions; an admin cannot delete their own account (409).', response: { 204: NoContent, ...errorResponses(401, 403, 404, 409) } },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const username = req.params.username;
    if (username === req.principal!.user?.username) throw vigilError('VIGIL_ERR_CONFLICT', 'you cannot delete your own account');
    const user = await users.remove(realm, username);
    await endUserSessions(realm, user.id, req.principal!.user!.username);
    return reply.code(204).send();
  });

  app.get('/display-keys', {
    preValidation: need('admin'),
    schema: { ...keys_, params: RealmParams, summary: 'List display keys', description: 'The keys themselves are never shown again.', response: { 200: Type.Object({ displayKeys: Type.Array(Type.Ref('DisplayKey')) }, { description: 'The realm\'s display keys, oldest first' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ displayKeys: await displayKeys.list(realmOf(req)) }));

  app.post('/display-keys', {
    preValidation: [need('admin'), async (req) => {
      req.body ??= {}; // the body is optional: none is an empty object
    }],
    schema: {
      ...keys_, params: RealmParams, summary: 'Create a display key', description: 'A long-lived, revocable viewer credential (vk_…) for a wall display, shown once in this answer.',
      body: DisplayKeyBody, response: { 201: Type.Object({ displayKey: Type.Ref('DisplayKey') }, { description: 'Made: the key is in this answer only' }), ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req, reply) => {
    const key = await displayKeys.create(realmOf(req), req.body.name, req.principal!.user!.username);
    return reply.code(201).send({ displayKey: key });
  });

  app.delete('/display-keys/:id', {
    preValidation: need('admin'),
    schema: { ...keys_, params: realmParams('id', Type.String({ maxLength: 64, description: 'A display key id (dk_…)' })), summary: 'Revoke a display key', description: 'The displays using it are disconnected.', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const realm = realmOf(req);
    const id = req.params.id;
    if (!(await displayKeys.revoke(realm, id))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no display key ${id}`);
    await engine.emit(realm, 'display_key.revoked', { id, by: { username: req.principal!.user!.username } });
    return reply.code(204).send();
  });

  app.get('/connections', {
    preValidation: need('admin'),
    schema: { ...conns_, params: RealmParams, summary: 'List real-time connections', description: 'Every /ws and Socket.IO connection of the realm on every node, oldest first.', response: { 200: Type.Object({ connections: Type.Array(Type.Ref('Connection')) }, { description: 'The realm\'s connections' }), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const realm = realmOf(req);
    const [connections, keys] = await Promise.all([app.connections.list(realm), displayKeys.list(realm)]);
    // the key's name is looked up here, not stored with each connection: a rename shows at once
    const names = new Map(keys.map((k) => [k.id, k.name]));
    for (const c of connections) if (c.displayKey && names.has(c.displayKey.id)) c.displayKey.name = names.get(c.displayKey.id);
    return { connections };
  });

  app.delete('/connections/:id', {
    preValidation: need('admin'),
    schema: { ...conns_, params: realmParams('id', Type.String({ maxLength: 64, description: 'A connection id (c_…)' })), summary: 'Disconnect a real-time connection', description: 'Closed with 4403 by the node holding it.', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const id = req.params.id;
    if (!(await app.connections.close(realmOf(req), id))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no connection ${id}`);
    return reply.code(204).send();
  });

  app.get('/policy', {
    preValidation: need('viewer'),
    schema: { ...policy_, summary: 'Read the realm policy', response: { 200: PolicyBody, ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ policy: await realms.policy(realmOf(req)) }));

  app.patch('/policy', {
    preValidation: need('admin'),
    schema: {
      ...policy_, summary: 'Change the realm policy', description: 'Changes apply to live sessions at once (policy.updated); under maxSessionsPerUser with terminate-oldest, each user\'s oldest sessions past the limit end (session-limit).',
      body: PolicyPatch, response: { 200: PolicyBody, ...errorResponses(401, 403, 404, 413) },
    },
  }, async (req) => {
    const realm = realmOf(req);
    const { policy, fields } = await realms.patch(realm, req.body);
    if (fields.length) {
      await engine.applyPolicy(realm, policy);
      await engine.emit(realm, 'policy.updated', { fields, by: { username: req.principal!.user!.username } });
    }
    return { policy };
  });

  app.get('/stats', {
    preValidation: need('viewer'),
    schema: { tags: ['stats'], security: SECURITY, params: RealmParams, summary: 'Counters for the wall display', response: { 200: answer('Stats', 'The counters'), ...errorResponses(401, 403, 404) } },
  }, async (req): Promise<Stats> => app.stats.get(realmOf(req)));
};
