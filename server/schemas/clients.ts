/** OIDC clients of a realm (server/oidc/clients.ts) and their signing keys. */
import { Type } from 'typebox';
import { ROLES } from '../../shared/protocol.js';
import { CLIENT_ID } from '../oidc/clients.js';
import { literals, Timestamp } from './common.js';

const CLIENT_ID_RULE = '1 to 100 letters, digits, or . _ : -';
const LIFESPAN_MAX = 2147483647;

export const OidcClient = Type.Object({
  clientId: Type.String(),
  name: Type.String(),
  publicClient: Type.Boolean({ description: 'A public client has no secret and must use PKCE' }),
  redirectUris: Type.Array(Type.String(), { description: 'Matched exactly' }),
  standardFlowEnabled: Type.Boolean({ description: 'The authorization code flow' }),
  implicitFlowEnabled: Type.Boolean(),
  directAccessGrantsEnabled: Type.Boolean({ description: 'The password grant' }),
  accessTokenLifespan: Type.Union([Type.Integer(), Type.Null()], { description: 'Seconds; null: the realm\'s Access Token Lifespan' }),
  apiRoles: Type.Array(Type.Ref('Role'), { description: 'Roles its access tokens may use on Vigil\'s API (RFC 9700 §2.3); none: only as their own session' }),
  introspection: Type.Boolean({ description: 'May introspect tokens issued to other clients (RFC 7662 §4)' }),
  backchannelLogoutUrl: Type.Union([Type.String(), Type.Null()], { description: 'OIDC Back-Channel Logout 1.0: where a signed logout_token is POSTed when a session of this client ends; null: none' }),
  createdAt: Timestamp('When it was made'),
  secret: Type.Optional(Type.String({ description: 'A confidential client\'s secret: only in the answer that makes it (creation, or turning a public client confidential)' })),
}, { $id: 'OidcClient', title: 'OidcClient' });

function clientFields(creating: boolean) {
  return {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    redirectUris: Type.Optional(Type.Array(Type.String({ maxLength: 2000, description: 'An absolute URI without a fragment or wildcard' }), { maxItems: 50, description: 'Default []' })),
    publicClient: Type.Optional(Type.Boolean({ description: creating ? 'Default false: confidential, with a generated secret' : 'false gives a public client its first secret' })),
    standardFlowEnabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
    implicitFlowEnabled: Type.Optional(Type.Boolean({ description: 'Default false' })),
    directAccessGrantsEnabled: Type.Optional(Type.Boolean({ description: 'Default false' })),
    introspection: Type.Optional(Type.Boolean({ description: 'Default false' })),
    accessTokenLifespan: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: LIFESPAN_MAX })], { description: 'Seconds; null: the realm\'s' })),
    apiRoles: Type.Optional(Type.Array(literals(ROLES), { description: 'Default []' })),
    backchannelLogoutUrl: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 2000 })], {
      description: 'An http(s) URL for OIDC Back-Channel Logout 1.0; not a private or loopback address unless VIGIL_WEBHOOK_ALLOW_PRIVATE=1. Default null',
    })),
  };
}

export const ClientId = Type.String({ pattern: CLIENT_ID.source, maxLength: 100, description: CLIENT_ID_RULE });

export const ClientCreateBody = Type.Object({ clientId: ClientId, ...clientFields(true) }, { additionalProperties: false, title: 'client' });

export const ClientPatchBody = Type.Object({
  clientId: Type.Optional(Type.String({ description: 'Cannot change: only the client\'s own id is accepted' })),
  ...clientFields(false),
}, { additionalProperties: false, title: 'client' });

export const ClientParams = Type.Object({ clientId: Type.String({ maxLength: 100 }) });
