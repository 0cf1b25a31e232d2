/**
 * OAuth 2.0 errors (RFC 6749 §5.2). The OIDC endpoints answer `{error, error_description}`
 * with these codes instead of the REST API's VIGIL_ERR_* shape, because that is what relying
 * parties and Keycloak's adapters parse.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'unsupported_token_type'
  | 'unsupported_response_type'
  | 'access_denied'
  | 'server_error';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_token: 401,
  unsupported_token_type: 400,
  unsupported_response_type: 400,
  access_denied: 403,
  server_error: 500,
};

export class OAuthError extends Error {
  readonly statusCode: number;
  /** Extra response headers, e.g. WWW-Authenticate or Retry-After. */
  headers: Record<string, string> = {};
  constructor(readonly error: OAuthErrorCode, readonly description: string, statusCode?: number) {
    super(description);
    this.statusCode = statusCode ?? STATUS[error];
  }
  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const oauthError = (code: OAuthErrorCode, description: string, statusCode?: number): OAuthError => new OAuthError(code, description, statusCode);

export function isOAuthError(e: unknown): e is OAuthError {
  return e instanceof OAuthError;
}
