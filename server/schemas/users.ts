/** Users (publicUser in server/users/store.ts) and the bodies that make and change them. */
import { Type } from 'typebox';
import { ROLES } from '../../shared/protocol.js';
import { EMAIL, EMAIL_MAX, EMAIL_RULE, PASSWORD_MAX, PASSWORD_MIN, USERNAME, USERNAME_RULE } from '../../shared/accounts.js';
import { REQUIRED_ACTIONS } from '../users/store.js';
import { literals, Timestamp } from './common.js';
import { TokenLifetime } from './sessions.js';

export const Role = Type.Enum([...ROLES], { type: 'string', $id: 'Role', title: 'Role', description: 'admin includes viewer; user: own sessions only' });

export const Username = Type.String({ pattern: USERNAME.source, maxLength: 64, description: USERNAME_RULE });

export const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });
export const Email = Type.String({ pattern: EMAIL.source, maxLength: EMAIL_MAX, description: EMAIL_RULE, examples: ['alice@example.com'] });
const EmailVerified = Type.Boolean({ description: 'The user proved they read mail at email (a verify-email link); a new address starts unverified' });
const Roles = Type.Array(literals(ROLES), { minItems: 1 });
const RequiredActions = Type.Array(literals(REQUIRED_ACTIONS), { description: 'Asked of the user at their next OIDC sign-in' });

export const User = Type.Object({
  id: Type.String({ examples: ['u_4Fq8sLm2x'] }),
  username: Type.String(),
  roles: Type.Array(Type.Ref('Role')),
  tokenLifetime: Type.Integer({ description: 'Idle limit of the user\'s console sessions, in seconds' }),
  enabled: Type.Boolean(),
  createdAt: Timestamp('When the user was made'),
  requiredActions: RequiredActions,
  email: Type.Optional(Type.String({ description: 'Where the user\'s action links go; absent: none' })),
  emailVerified: EmailVerified,
}, { $id: 'User', title: 'User' });

export const UserCreateBody = Type.Object({
  username: Username,
  password: Password,
  roles: Type.Optional(Type.Array(literals(ROLES), { minItems: 1, description: 'Default ["user"]' })),
  tokenLifetime: Type.Optional(TokenLifetime),
  enabled: Type.Optional(Type.Boolean()),
  email: Type.Optional(Email),
  emailVerified: Type.Optional(EmailVerified),
}, { additionalProperties: false, title: 'user' });

export const UserPatchBody = Type.Object({
  username: Type.Optional(Type.String({ description: 'Cannot change: only the user\'s own name is accepted' })),
  password: Type.Optional(Password),
  roles: Type.Optional(Roles),
  tokenLifetime: Type.Optional(TokenLifetime),
  enabled: Type.Optional(Type.Boolean({ description: 'false ends every session of the user' })),
  requiredActions: Type.Optional(RequiredActions),
  email: Type.Optional(Type.Union([Email, Type.Null()], { description: 'A new address (unverified unless emailVerified is given), or null to remove it' })),
  emailVerified: Type.Optional(EmailVerified),
}, { additionalProperties: false, title: 'user' });

export const UserParams = Type.Object({ username: Type.String({ maxLength: 64 }) });
