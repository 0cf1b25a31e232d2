/**
 * The API reference is generated from the routes' own schemas: /docs/openapi.json is a valid
 * OpenAPI 3.1 document of every REST route, and what it says a body must be is what the server
 * enforces — a body that breaks its schema is a 400 VIGIL_ERR_VALIDATION naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, type TestApp } from '../helpers/app.js';

type Schema = Record<string, any>;
type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };

const R = '/api/v1/realms/{realm}';
/** The routes of CONTRACT.md's REST table (every one exists). */
const CONTRACT_ROUTES = [
  ['post', `${R}/login`], ['post', `${R}/logout`], ['post', `${R}/sessions`], ['get', `${R}/me`], ['put', `${R}/me/token-lifetime`],
  ['post', `${R}/sessions/current/activity`], ['post', `${R}/sessions/current/extend`], ['get', `${R}/sessions`],
  ['get', `${R}/sessions/{id}`], ['delete', `${R}/sessions/{id}`], ['post', `${R}/sessions/terminate-others`],
  ['get', `${R}/users`], ['post', `${R}/users`], ['get', `${R}/users/{username}`], ['patch', `${R}/users/{username}`], ['delete', `${R}/users/{username}`],
  ['get', `${R}/display-keys`], ['post', `${R}/display-keys`], ['delete', `${R}/display-keys/{id}`],
  ['get', `${R}/policy`], ['patch', `${R}/policy`], ['get', `${R}/stats`],
  ['get', `${R}/connections`], ['delete', `${R}/connections/{id}`],
  ['put', `${R}/me/password`], ['put', `${R}/users/{username}/execute-actions-email`], ['put', `${R}/users/{username}/send-verify-email`],
  ['post', `${R}/reset-credentials`], ['get', `${R}/outbox`], ['get', `${R}/outbox/{id}`],
  ['get', `${R}/identity-providers`], ['post', `${R}/identity-providers`], ['get', `${R}/identity-providers/{alias}`], ['delete', `${R}/identity-providers/{alias}`],
  ['get', `${R}/events`],
  ['get', `${R}/clients`], ['post', `${R}/clients`], ['get', `${R}/clients/{clientId}`], ['patch', `${R}/clients/{clientId}`], ['delete', `${R}/clients/{clientId}`],
  ['post', `${R}/keys/rotate`], ['delete', `${R}/keys/{kid}`],
  ['get', `${R}/webhooks`], ['post', `${R}/webhooks`], ['get', `${R}/webhooks/{id}`], ['patch', `${R}/webhooks/{id}`], ['delete', `${R}/webhooks/{id}`],
  ['get', `${R}/webhooks/{id}/deliveries`],
  ['get', '/api/v1/realms'], ['post', '/api/v1/realms'], ['delete', '/api/v1/realms/{realm}'],
  ['get', '/healthz'], ['get', '/readyz'], ['get', '/metrics'],
] as const;

let t: TestApp;
let doc: Doc;
beforeAll(async () => {
  t = await startTestApp();
  const res = await fetch(`${t.url}/docs/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});
afterAll(async () => t?.close());

const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[String(s.$ref).split('/').pop()!]!) : s);

/** A value the schema accepts: the least one (minimum, minLength, the first branch or literal). */
function valid(schema: Schema): unknown {
  const s = resolve(schema);
  if (s.anyOf) return valid(s.anyOf[0]);
  if (s.enum) return s.enum[0];
  if ('const' in s) return s.const;
  switch (s.type) {
    case 'string': return 'a'.repeat(Math.max(8, s.minLength ?? 0));
    case 'integer': case 'number': return s.minimum ?? 0;
    case 'boolean': return true;
    case 'null': return null;
    case 'array': return s.minItems ? [valid(s.items)] : [];
    case 'object': return Object.fromEntries((s.required ?? []).map((k: string) => [k, valid(s.properties[k])]));
    default: return null;
  }
}

/** A value of the wrong type for the schema. */
function wrongType(schema: Schema): unknown {
  const s = resolve(schema);
  const types = s.anyOf ? s.anyOf.map((b: Schema) => resolve(b).type) : [s.type];
  return types.includes('string') ? 12345 : 'not-the-right-type';
}

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));

const concrete = (path: string) => path.replace('{realm}', 'default').replace(/\{[^}]+\}/g, 'x');

describe('GET /docs/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document with the bearer and cookie schemes', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    expect((doc as any).info).toMatchObject({ title: 'Vigil', version: expect.any(String) });
    expect(Object.keys((doc as any).components.securitySchemes)).toEqual(expect.arrayContaining(['bearer', 'cookie']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', 'Session', 'User', 'DisplayKey', 'Policy', 'Stats', 'OidcClient', 'Event']));
  });

  it('lists every REST route of the contract that exists, and not the OIDC protocol endpoints', () => {
    const listed = operations().map((o) => `${o.method} ${o.path}`);
    expect(listed).toEqual(expect.arrayContaining(CONTRACT_ROUTES.map(([m, p]) => `${m.toUpperCase()} ${p}`)));
    expect(listed.filter((x) => x.includes(' /realms/'))).toEqual([]);
  });

  it('documents the error shape for every error answer of every realm route', () => {
    for (const { method, path, op } of operations().filter((o) => o.path.startsWith(R))) {
      for (const status of ['400', '401', '404', '503']) {
        expect(op.responses[status]?.content?.['application/json']?.schema, `${method} ${path} ${status}`).toMatchObject({ $ref: expect.stringMatching(/Error$/) });
      }
    }
  });
});

describe('what the document says is enforced', () => {
  const bodyOf = (op: any): Schema => resolve(op.requestBody.content['application/json'].schema);
  /** Object bodies (an array body, like execute-actions-email's list of actions, is checked on its own below). */
  const withBodies = () => operations().filter((o) => o.op.requestBody && bodyOf(o.op).type === 'object');

  it('refuses an item off its list in every array body, naming its place', async () => {
    const arrays = operations().filter((o) => o.op.requestBody && bodyOf(o.op).type === 'array');
    expect(arrays.length).toBeGreaterThan(0);
    for (const { method, path, op } of arrays) {
      const r = await t.api(method, concrete(path), { token: t.adminToken, body: ['__bogus'] });
      expect(r.status, `${method} ${path} ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.message, `${method} ${path}`).toMatch(/^body\[0\] must be one of /);
    }
  });

  it('has request bodies to check', () => {
    expect(withBodies().length).toBeGreaterThanOrEqual(10);
  });

  it('refuses an unknown field in every body, naming it', async () => {
    for (const { method, path, op } of withBodies()) {
      const schema = op.requestBody.content['application/json'].schema;
      const body = { ...(valid(schema) as object), __bogus: 1 };
      const r = await t.api(method, concrete(path), { token: t.adminToken, body });
      expect(r.status, `${method} ${path} ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.code).toBe('VIGIL_ERR_VALIDATION');
      expect(r.body.message, `${method} ${path}`).toMatch(/^__bogus is not a .* field$/);
    }
  });

  it('refuses a wrong type for the first required (else the first) field of every body, naming it', async () => {
    for (const { method, path, op } of withBodies()) {
      const schema = resolve(op.requestBody.content['application/json'].schema);
      const field: string = schema.required?.[0] ?? Object.keys(schema.properties)[0]!;
      const body = { ...(valid(schema) as object), [field]: wrongType(schema.properties[field]) };
      const r = await t.api(method, concrete(path), { token: t.adminToken, body });
      expect(r.status, `${method} ${path} ${field} ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.code).toBe('VIGIL_ERR_VALIDATION');
      expect(r.body.message, `${method} ${path}`).toMatch(new RegExp(`^${field} must be `));
    }
  });

  it('refuses a query value below its minimum, off its list, or unknown, naming it', async () => {
    const queries = operations().filter((o) => (o.op.parameters ?? []).some((p: any) => p.in === 'query'));
    expect(queries.length).toBeGreaterThan(0);
    for (const { method, path, op } of queries) {
      const url = concrete(path);
      // with a body that passes, so that the query is what is wrong
      const body = op.requestBody ? valid(bodyOf(op)) : undefined;
      for (const p of op.parameters.filter((x: any) => x.in === 'query')) {
        const bad = p.schema.minimum !== undefined ? p.schema.minimum - 1 : p.schema.anyOf || p.schema.enum ? '__bogus' : null;
        if (bad === null) continue;
        const r = await t.api(method, `${url}?${p.name}=${bad}`, { token: t.adminToken, body });
        expect(r.status, `${method} ${path} ?${p.name}=${bad}`).toBe(400);
        expect(r.body.message).toMatch(new RegExp(`^${p.name} must be `));
      }
      const r = await t.api(method, `${url}?__bogus=1`, { token: t.adminToken, body });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/^__bogus is not a .* field$/);
    }
  });

  it('states bounds in words: the field, then the rule', async () => {
    const r = await t.api('PUT', '/me/token-lifetime', { token: t.adminToken, body: { tokenLifetime: '60' } });
    expect(r.body.message).toBe('tokenLifetime must be an integer from 30 to 2147482 seconds');
    const o = await t.api('POST', '/sessions', { token: t.adminToken, body: { username: 'admin', origin: { ip: 'x'.repeat(65) } } });
    expect(o.body.message).toBe('origin.ip must be a string of at most 64 characters');
    const roles = await t.api('PATCH', '/users/admin', { token: t.adminToken, body: { roles: ['root'] } });
    expect(roles.body.message).toBe('roles[0] must be one of admin, viewer, user');
    const nested = await t.api('PATCH', '/policy', { token: t.adminToken, body: { userActionLifespanOverrides: { 'verify-mail': 60 } } });
    expect(nested.body.message).toBe('userActionLifespanOverrides.verify-mail is not a lifespan override field');
  });
});

describe('answers, serialized by their schemas', () => {
  it('carry every field of the objects behind them', async () => {
    const vigil = t.app;
    const me = await t.api('GET', '/me', { token: t.adminToken });
    expect(me.body.session).toEqual(await vigil.engine.get('default', me.body.session.id, me.body.session.id));
    const { passwordHash: _omit, ...admin } = (await vigil.users.byUsername('default', 'admin'))!;
    expect((await t.api('GET', '/users/admin', { token: t.adminToken })).body.user).toEqual(admin);
    expect((await t.api('GET', '/policy', { token: t.adminToken })).body.policy).toEqual(await vigil.realms.policy('default'));
    const made = await t.api('POST', '/clients', { token: t.adminToken, body: { clientId: 'answers', apiRoles: ['viewer'], introspection: true } });
    expect(made.body.client.secret).toEqual(expect.any(String));
    expect((await t.api('GET', '/clients/answers', { token: t.adminToken })).body.client).toEqual(await vigil.oidc!.clients.get('default', 'answers'));
  });
});

describe('GET /docs', () => {
  it('renders the reference as HTML', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('swagger');
  });
});
