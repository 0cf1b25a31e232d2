/** Realm management (/api/v1/realms). */
import { Type } from 'typebox';
import { RealmName } from './common.js';
import { PolicyPatch } from './policy.js';

export const RealmCreateBody = Type.Object({
  realm: RealmName,
  admin: Type.Optional(Type.Object({
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  }, { additionalProperties: false, title: 'realm admin', description: 'The realm\'s first admin' })),
  policy: Type.Optional(PolicyPatch),
}, { additionalProperties: false, title: 'realm' });

export const RealmCreated = Type.Object({
  realm: Type.Object({
    realm: Type.String(),
    policy: Type.Ref('Policy'),
    admin: Type.Union([Type.Object({ username: Type.String() }), Type.Null()]),
  }),
}, { description: 'Made: the realm, its policy and its admin' });

export const RealmList = Type.Object({ realms: Type.Array(Type.Object({ realm: Type.String() })) }, { description: 'Every realm' });
