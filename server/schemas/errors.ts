/** The contract's error shape, and the error answers a route declares by status. */
import { Type } from 'typebox';

export const ErrorBody = Type.Object({
  statusCode: Type.Integer({ description: 'The HTTP status' }),
  code: Type.String({ description: 'A VIGIL_ERR_* code from the error registry (CONTRACT.md, Errors)', examples: ['VIGIL_ERR_VALIDATION'] }),
  error: Type.String({ description: 'The status text', examples: ['Bad Request'] }),
  message: Type.String({ description: 'What went wrong; for VIGIL_ERR_VALIDATION the field and the rule', examples: ['tokenLifetime must be an integer from 30 to 2147482 seconds'] }),
}, { $id: 'Error', title: 'Error', description: 'Every error the REST API answers with (Fastify\'s error shape).' });

const WHEN: Record<number, string> = {
  400: 'VIGIL_ERR_VALIDATION: a param, the query or the body fails its schema (the message names the field and the rule)',
  401: 'VIGIL_ERR_UNAUTHENTICATED (no credential, or an expired, ended or revoked one) or VIGIL_ERR_INVALID_CREDENTIALS',
  403: 'VIGIL_ERR_FORBIDDEN (the role does not allow it) or VIGIL_ERR_BAD_ORIGIN (a cookie write from a foreign origin)',
  404: 'VIGIL_ERR_NOT_FOUND: no such realm, or no such object in it',
  409: 'VIGIL_ERR_CONFLICT, VIGIL_ERR_CURRENT_SESSION, VIGIL_ERR_NOT_EXTENDABLE or VIGIL_ERR_SESSION_LIMIT',
  413: 'VIGIL_ERR_VALIDATION: the body is larger than 64 KiB',
  429: 'VIGIL_ERR_RATE_LIMITED: too many attempts; Retry-After says when to try again',
  500: 'VIGIL_ERR_INTERNAL',
  503: 'VIGIL_ERR_UNAVAILABLE: Redis is down or stalled; Retry-After says when to try again',
};

const described = (status: number) => Type.Unsafe<{ statusCode: number; code: string; error: string; message: string }>({ $ref: 'Error', description: WHEN[status] });

/**
 * The error answers of a route: 400, 500 and 503 (any route: a bad request, a bug, Redis down)
 * plus the statuses given. A realm route also answers 404 for an unknown realm: pass it.
 */
export function errorResponses<S extends number>(...statuses: S[]): Record<S | 400 | 500 | 503, ReturnType<typeof described>> {
  const out: Record<number, ReturnType<typeof described>> = {};
  for (const s of [400, ...statuses, 500, 503]) out[s] = described(s);
  return out as Record<S | 400 | 500 | 503, ReturnType<typeof described>>;
}
