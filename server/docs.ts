/**
 * The API reference, generated from the routes' own schemas: OpenAPI 3.1 at
 * GET /docs/openapi.json, rendered by Swagger UI at GET /docs.
 *
 * Documented: the REST API (/api/…), /healthz, /readyz and /metrics. The OpenID Connect
 * protocol endpoints (/realms/{realm}/…) are left out: they are Keycloak's paths, described by
 * discovery and their RFCs; so are the real-time transports (the AsyncAPI document's).
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { TAGS } from './schemas/common.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const DOCUMENTED = [/^\/api\//, /^\/(healthz|readyz|metrics)$/];

export const apiDocs = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil',
        version,
        description: 'Real-time session monitor and authority: the REST API of CONTRACT.md. Errors are `{statusCode, code, error, message}`; a request that fails its schema is a 400 VIGIL_ERR_VALIDATION whose message names the field and the rule.',
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A session token (vs_…), a display key (vk_…, read-only) or an OIDC access token of the realm' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'vigil_session', description: 'The session cookie set by POST /login; writes must come from an allowed origin' },
        },
      },
    },
    // components/schemas are named by their $id (Session, User, …), not def-0, def-1
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url, ...rest }) => ({ ...rest, url, schema: { ...schema, hide: schema?.hide || !DOCUMENTED.some((p) => p.test(url)) } as typeof schema }),
  });
  // the UI reads the same document at its own /docs/json (it always loads ./json); the contract's name for it is /docs/openapi.json
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } });
  app.get('/docs/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}, { name: 'vigil-api-docs' });
