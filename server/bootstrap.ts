/** First start of a realm store: realm `default` and its admin, whose generated password is printed once. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export async function bootstrap(app: FastifyInstance): Promise<{ adminCreated: boolean; password: string | null }> {
  const { realms, users, config } = app;
  await realms.create('default');
  if (await users.byUsername('default', config.adminUser)) return { adminCreated: false, password: null };
  const password = config.adminPassword ?? randomBytes(12).toString('base64url');
  const policy = await realms.policy('default');
  try {
    await users.create('default', { username: config.adminUser, password, roles: ['admin'] }, policy.defaultTokenLifetime);
  } catch (err) {
    if ((err as { code?: string }).code === 'VIGIL_ERR_CONFLICT') return { adminCreated: false, password: null }; // another process won
    throw err;
  }
  return { adminCreated: true, password: config.adminPassword ? null : password };
}
