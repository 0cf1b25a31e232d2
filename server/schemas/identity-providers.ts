/** Identity providers (server/oidc/identity-providers.ts): upstream OpenID Connect issuers a realm signs users in through. */
import { Type } from 'typebox';
import { ALIAS, ALIAS_RULE } from '../oidc/identity-providers.js';
import { Timestamp } from './common.js';

export const IdentityProvider = Type.Object({
  alias: Type.String({ description: 'Its name in the realm and in its redirect URI: {public URL}/realms/{realm}/broker/{alias}/endpoint' }),
  displayName: Type.String({ description: 'What the sign-in page\'s button says (default: the alias)' }),
  issuer: Type.String({ description: 'The upstream issuer (its discovery document is {issuer}/.well-known/openid-configuration)' }),
  clientId: Type.String({ description: 'This realm\'s client at the upstream' }),
  createdAt: Timestamp('When it was added'),
}, { $id: 'IdentityProvider', title: 'IdentityProvider', description: 'The client secret is never shown again.' });

export const AliasParam = Type.String({ pattern: ALIAS.source, maxLength: 40, description: ALIAS_RULE });

export const IdentityProviderCreateBody = Type.Object({
  alias: AliasParam,
  issuer: Type.String({ minLength: 1, maxLength: 2000, description: 'An http:// or https:// issuer URL' }),
  clientId: Type.String({ minLength: 1, maxLength: 200 }),
  clientSecret: Type.String({ minLength: 1, maxLength: 500 }),
  displayName: Type.Optional(Type.String({ maxLength: 100 })),
}, { additionalProperties: false, title: 'identity provider' });

export const IdentityProviderPatchBody = Type.Object({
  issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'An http:// or https:// issuer URL' })),
  clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Left out: the current secret is kept' })),
  displayName: Type.Optional(Type.String({ maxLength: 100, description: 'Empty: the button says the alias' })),
}, { additionalProperties: false, title: 'identity provider change' });

/** What the sign-in forms show before anyone is signed in: a button per provider, no configuration. */
export const SignInProvider = Type.Object({
  alias: Type.String(),
  displayName: Type.String({ description: 'What its button says' }),
}, { title: 'sign-in provider' });

export const IdentityLink = Type.Object({
  alias: Type.String({ description: 'The identity provider' }),
  subject: Type.String({ description: 'Who the user is there (the ID token\'s sub)' }),
}, { $id: 'IdentityLink', title: 'IdentityLink', description: 'Signing in through the provider as that subject signs in as the user' });
