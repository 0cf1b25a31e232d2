/**
 * The one error registry. Every error the API answers with is made here with
 * @fastify/error, so its `code`, status and message shape are fixed in one place
 * (test/unit/errors.test.ts checks that every code is documented in the contract).
 */
import createError from '@fastify/error';

export const errors = {
  VIGIL_ERR_VALIDATION: createError('VIGIL_ERR_VALIDATION', '%s', 400),
  VIGIL_ERR_BAD_MESSAGE: createError('VIGIL_ERR_BAD_MESSAGE', '%s', 400),
  VIGIL_ERR_INVALID_CREDENTIALS: createError('VIGIL_ERR_INVALID_CREDENTIALS', 'Invalid username or password', 401),
  VIGIL_ERR_UNAUTHENTICATED: createError('VIGIL_ERR_UNAUTHENTICATED', '%s', 401),
  VIGIL_ERR_FORBIDDEN: createError('VIGIL_ERR_FORBIDDEN', '%s', 403),
  VIGIL_ERR_BAD_ORIGIN: createError('VIGIL_ERR_BAD_ORIGIN', 'Origin %s is not allowed', 403),
  VIGIL_ERR_NOT_FOUND: createError('VIGIL_ERR_NOT_FOUND', '%s', 404),
  VIGIL_ERR_CURRENT_SESSION: createError('VIGIL_ERR_CURRENT_SESSION', 'This session is current and cannot be terminated', 409),
  VIGIL_ERR_NOT_EXTENDABLE: createError('VIGIL_ERR_NOT_EXTENDABLE', 'The session has reached its maximum lifetime and cannot be extended', 409),
  VIGIL_ERR_CONFLICT: createError('VIGIL_ERR_CONFLICT', '%s', 409),
  VIGIL_ERR_SESSION_LIMIT: createError('VIGIL_ERR_SESSION_LIMIT', '%s', 409),
  VIGIL_ERR_RATE_LIMITED: createError('VIGIL_ERR_RATE_LIMITED', 'Too many attempts; try again in %d seconds', 429),
  VIGIL_ERR_UNAVAILABLE: createError('VIGIL_ERR_UNAVAILABLE', '%s', 503),
  VIGIL_ERR_INTERNAL: createError('VIGIL_ERR_INTERNAL', 'internal error', 500),
} as const;

export type ErrorCode = keyof typeof errors;

/** A FastifyError-compatible error with our code and status. */
export interface VigilError extends Error {
  code: ErrorCode;
  statusCode: number;
}

export function vigilError(code: ErrorCode, ...args: unknown[]): VigilError {
  const Ctor = errors[code] as unknown as new (...a: unknown[]) => VigilError;
  return new Ctor(...args);
}

export function isVigilError(err: unknown): err is VigilError {
  return err instanceof Error && typeof (err as VigilError).code === 'string' && (err as VigilError).code in errors;
}

/** The body Fastify would send for this error, for the real-time transports. */
export function errorBody(err: VigilError): { statusCode: number; code: string; error: string; message: string } {
  const names: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };
  return { statusCode: err.statusCode, code: err.code, error: names[err.statusCode] ?? 'Error', message: err.message };
}
