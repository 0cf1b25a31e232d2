/** Params, tags and security shared by the REST routes. */
import { Type } from 'typebox';
import { REALM_NAME } from '../realms/store.js';

/** One of a list of strings: `one of a, b, c` in an error message, an enum in the docs. */
export const literals = <T extends string>(values: readonly T[]) => Type.Enum(values as T[], { type: 'string' });

export const Timestamp = (description: string) => Type.String({ format: 'date-time', description });

export const REALM_RULE = '1 to 40 lowercase letters, digits, _ or -, starting with a letter or digit';

export const RealmName = Type.String({ pattern: REALM_NAME.source, maxLength: 40, description: REALM_RULE, examples: ['default'] });

export const RealmParams = Type.Object({ realm: RealmName }, { additionalProperties: false });

/** Params of a realm route with one more path segment, e.g. `{realm, id}`. */
export function realmParams<K extends string, T extends ReturnType<typeof Type.String>>(name: K, schema: T) {
  return Type.Object({ realm: RealmName, [name]: schema } as { realm: typeof RealmName } & { [P in K]: T }, { additionalProperties: false });
}

/** A shared schema (by its $id) as an answer, with what the answer means. */
export const answer = (id: string, description: string) => Type.Unsafe<unknown>({ $ref: id, description });

/** A 204: no body (`type: 'null'` is how @fastify/swagger documents an answer without content). */
export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'Done: no content' });

/** A credential: a session token, a display key or an OIDC access token, as a bearer token or the cookie. */
export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

export const TAGS = [
  { name: 'sign-in', description: 'Signing in and out, and the caller\'s own session' },
  { name: 'sessions', description: 'Live sessions of the realm: the Access view' },
  { name: 'users', description: 'Users of the realm (admin)' },
  { name: 'mail', description: 'E-mailed account actions (reset password, verify e-mail, execute actions) and the outbox' },
  { name: 'display-keys', description: 'Read-only credentials for wall displays (admin)' },
  { name: 'policy', description: 'The realm policy: session and token lifetimes' },
  { name: 'stats', description: 'Counters for the wall display' },
  { name: 'events', description: 'The realm\'s event history: paged, filtered, exported (viewer)' },
  { name: 'connections', description: 'Real-time connections of the realm on every node (admin)' },
  { name: 'webhooks', description: 'Outbound event delivery, signed per Standard Webhooks (admin)' },
  { name: 'clients', description: 'OpenID Connect clients and signing keys of the realm (admin)' },
  { name: 'identity-providers', description: 'Upstream OpenID Connect providers the realm signs users in through (admin)' },
  { name: 'realms', description: 'Realms (admins of realm default)' },
  { name: 'operations', description: 'Health and readiness' },
];
