/**
 * The shared schemas, each with an `$id`: routes point at them with `Type.Ref(id)`, and the
 * OpenAPI document lists them once under components/schemas by that name.
 */
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from './errors.js';
import { MeResponse, Session } from './sessions.js';
import { Role, User } from './users.js';
import { DisplayKey } from './display-keys.js';
import { Policy } from './policy.js';
import { Stats } from './stats.js';
import { OidcClient } from './clients.js';
import { Connection } from './connections.js';
import { OutboxMessage } from './mail.js';
import { IdentityLink, IdentityProvider } from './identity-providers.js';
import { Event } from './events.js';
import { Webhook, WebhookDelivery } from './webhooks.js';

export const SHARED_SCHEMAS = [ErrorBody, Role, Session, MeResponse, User, DisplayKey, Policy, Stats, OidcClient, Connection, OutboxMessage, IdentityProvider, IdentityLink, Event, Webhook, WebhookDelivery];

export function addSharedSchemas(app: FastifyInstance): void {
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
}
