/** Admin management: users, display keys and the realm policy; and the wall display's stats. */
import type { FastifyInstance } from 'fastify';
import { vigilError } from '../errors.js';
import { identify, need, realmOf } from '../auth/guard.js';
import { publicUser } from '../users/store.js';
import { applyTokenLifetime } from './sessions.js';
import { objectBody } from './validate.js';
import { SESSION_KINDS, type SessionKind, type Stats } from '../../shared/protocol.js';
import type { RealmPolicy } from '../../shared/policy.js';

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { engine, users, displayKeys, realms, redis, keys, hub } = app.vigil;
  app.addHook('preHandler', identify);

  const endUserSessions = async (realm: string, userId: string, by: string) => {
    const ids = await engine.userSessionIds(realm, userId);
    await engine.terminateMany(realm, ids, 'user-disabled', by);
  };

  app.get('/users', { preHandler: need('admin') }, async (req) => ({ users: (await users.list(realmOf(req))).map(publicUser) }));

  app.post('/users', { preHandler: need('admin') }, async (req, reply) => {
    const realm = realmOf(req);
    const policy = await realms.policy(realm);
    const user = await users.create(realm, objectBody(req.body), policy.defaultTokenLifetime);
    return reply.code(201).send({ user: publicUser(user) });
  });

  app.get('/users/:username', { preHandler: need('admin') }, async (req) => {
    const realm = realmOf(req);
    const user = await users.byUsername(realm, (req.params as { username: string }).username);
    if (!user) throw vigilError('VIGIL_ERR_NOT_FOUND', `no user ${(req.params as { username: string }).username} in realm ${realm}`);
    return { user: publicUser(user) };
  });

  app.patch('/users/:username', { preHandler: need('admin') }, async (req) => {
    const realm = realmOf(req);
    const username = (req.params as { username: string }).username;
    const body = objectBody(req.body);
    if (body.enabled === false && username === req.principal!.user?.username) throw vigilError('VIGIL_ERR_CONFLICT', 'you cannot disable your own account');
    const { before, after } = await users.patch(realm, username, body);
    const by = req.principal!.user!.username;
    if (before.enabled && !after.enabled) await endUserSessions(realm, after.id, by);
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
      if (before.tokenLifetime !== after.tokenLifetime) await applyTokenLifetime(app, realm, after.id, after.tokenLifetime);
    }
    // REST reads the roles afresh on every request; real-time connections are told on the stream every process reads
    if ([...before.roles].sort().join() !== [...after.roles].sort().join()) {
      await engine.emit(realm, 'user.updated', { id: after.id, username: after.username, fields: ['roles'], by: { username: by } });
    }
    return { user: publicUser(after) };
  });

  app.delete('/users/:username', { preHandler: need('admin') }, async (req, reply) => {
    const realm = realmOf(req);
    const username = (req.params as { username: string }).username;
    if (username === req.principal!.user?.username) throw vigilError('VIGIL_ERR_CONFLICT', 'you cannot delete your own account');
    const user = await users.remove(realm, username);
    await endUserSessions(realm, user.id, req.principal!.user!.username);
    return reply.code(204).send();
  });

  app.get('/display-keys', { preHandler: need('admin') }, async (req) => ({ displayKeys: await displayKeys.list(realmOf(req)) }));

  app.post('/display-keys', { preHandler: need('admin') }, async (req, reply) => {
    const body = req.body === undefined || req.body === null ? {} : objectBody(req.body);
    const key = await displayKeys.create(realmOf(req), body.name, req.principal!.user!.username);
    return reply.code(201).send({ displayKey: key });
  });

  app.delete('/display-keys/:id', { preHandler: need('admin') }, async (req, reply) => {
    const realm = realmOf(req);
    const id = (req.params as { id: string }).id;
    if (!(await displayKeys.revoke(realm, id))) throw vigilError('VIGIL_ERR_NOT_FOUND', `no display key ${id}`);
    await engine.emit(realm, 'display_key.revoked', { id, by: { username: req.principal!.user!.username } });
    return reply.code(204).send();
  });

  app.get('/policy', { preHandler: need('viewer') }, async (req) => ({ policy: await realms.policy(realmOf(req)) }));

  app.patch('/policy', { preHandler: need('admin') }, async (req) => {
    const realm = realmOf(req);
    const { policy, fields } = await realms.patch(realm, req.body);
    if (fields.length) {
      await applyPolicy(app, realm, policy);
      await engine.emit(realm, 'policy.updated', { fields, by: { username: req.principal!.user!.username } });
    }
    return { policy };
  });

  app.get('/stats', { preHandler: need('viewer') }, async (req): Promise<Stats> => {
    const realm = realmOf(req);
    const counts = await redis.hgetall(`${keys.realmBase(realm)}count`);
    const byKind = Object.fromEntries(SESSION_KINDS.map((k) => [k, Math.max(0, Number(counts[k] ?? 0))])) as Record<SessionKind, number>;
    const warning = Math.max(0, Number(counts.warning ?? 0));
    const minute = Math.floor(Date.now() / 60000);
    const p = redis.pipeline();
    for (let m = minute - 59; m <= minute; m++) p.hgetall(keys.counters(realm, m));
    const sum: Record<string, number> = {};
    for (const [, h] of (await p.exec()) ?? []) for (const [k, v] of Object.entries(h as Record<string, string>)) sum[k] = (sum[k] ?? 0) + Number(v);
    const active = byKind.console + byKind.sso + byKind.offline;
    return {
      active,
      warning,
      byKind,
      lastHour: {
        started: sum['session.started'] ?? 0,
        logins: sum['login.succeeded'] ?? 0,
        expired: sum['session.expired'] ?? 0,
        terminated: sum['session.terminated'] ?? 0,
        ended: sum['session.ended'] ?? 0,
      },
      connectedClients: await connectedClients(app, realm, hub.clientCount(realm)),
      serverTime: new Date().toISOString(),
    };
  });
}

/** Policy changes apply to live sessions at once: idle and max limits by kind, and the prompt. */
export async function applyPolicy(app: FastifyInstance, realm: string, policy: RealmPolicy): Promise<void> {
  const { engine } = app.vigil;
  const hashes = await engine.hashes(realm, await engine.sessionIds(realm));
  const group = (k: SessionKind) => hashes.filter((h) => h.k === k).map((h) => String(h.id));
  await engine.reapply(realm, group('console'), null, policy.consoleSessionMax);
  await engine.reapply(realm, group('sso'), policy.ssoSessionIdle, policy.ssoSessionMax);
  await engine.reapply(realm, group('offline'), policy.offlineSessionIdle, policy.offlineSessionMaxEnabled ? policy.offlineSessionMax : 100 * 365 * 86400);
}

/** Every process reports its connected clients per realm every few seconds; fresh reports are summed. */
async function connectedClients(app: FastifyInstance, realm: string, local: number): Promise<number> {
  const { redis, keys, nodeId } = app.vigil;
  const all = await redis.hgetall(`${keys.realmBase(realm)}conns`);
  let n = local;
  for (const [node, v] of Object.entries(all)) {
    if (node === nodeId) continue;
    const [count, at] = v.split(':').map(Number);
    if (Date.now() - at! < 15_000) n += count!;
  }
  return n;
}
