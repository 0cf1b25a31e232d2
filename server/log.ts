/**
 * The logger's options. Logs never carry a token, code, password or id_token_hint (CONTRACT.md,
 * VIGIL_LOG_LEVEL): at debug, Fastify logs every request's URL, and OAuth puts secrets in query
 * strings (an RP-initiated logout's id_token_hint, an action link's key, a client that sends its
 * secret or a password in the query by mistake). So the request serializer — the one place a URL
 * reaches the log — redacts the values of those parameters, and the error serializer does the
 * same to messages and stacks that quote a URL (Fastify's "reply already sent in <url>").
 */
import type { FastifyServerOptions } from 'fastify';
import { stdSerializers } from 'pino';
import type { Config } from './config.js';

/** Query parameters whose values are secrets. `state` and `nonce` are not: they stay readable. */
export const SECRET_PARAMS = [
  'code', 'id_token_hint', 'id_token', 'access_token', 'refresh_token', 'token', 'logout_token',
  'client_secret', 'password', 'code_verifier', 'key', 'secret',
] as const;

export const REDACTED = '[REDACTED]';

const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"'<>]*`, 'gi');

/** The URL with the values of secret query parameters replaced by [REDACTED]. */
export function redactUrl(url: string): string {
  return url.includes('=') ? url.replace(SECRET_QUERY, `$1${REDACTED}`) : url;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's own request serializer (method, url, version, host, address, port), with the URL redacted. */
function req(r: LoggedRequest) {
  return {
    method: r.method,
    url: typeof r.url === 'string' ? redactUrl(r.url) : r.url,
    version: r.headers?.['accept-version'],
    host: r.host,
    remoteAddress: r.ip,
    remotePort: r.socket?.remotePort,
  };
}

interface SerializedError {
  [k: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

/** pino's standard error serializer (type, message, stack, own fields), with quoted URLs redacted. */
function err(e: Error): SerializedError {
  const out = stdSerializers.err(e) as SerializedError;
  // a serializer must never throw: whatever is not an error object passes as it is
  if (!out || typeof out !== 'object') return out;
  if (typeof out.message === 'string') out.message = redactUrl(out.message);
  if (typeof out.stack === 'string') out.stack = redactUrl(out.stack);
  return out;
}

type LoggerOption = FastifyServerOptions['logger'];

/**
 * Fastify's `logger` option: the given one (tests pass a level and a stream) or the configured
 * level, always with the redacting serializers; `false` stays off.
 */
export function loggerOptions(config: Config, given?: boolean | object): LoggerOption {
  if (given === false) return false;
  const base = typeof given === 'object' && given !== null ? (given as Record<string, unknown>) : { level: config.logLevel };
  const own = (base.serializers ?? {}) as Record<string, unknown>;
  return { ...base, serializers: { ...own, req, err } } as LoggerOption;
}
