/**
 * The OpenID Connect provider at Keycloak's paths (/realms/{realm}/protocol/openid-connect/…)
 * and its client / realm management API. Registered by app.ts at the root.
 */
import type { FastifyInstance } from 'fastify';

export async function oidcPlugin(_app: FastifyInstance): Promise<void> {
  // built in issue 4
}
