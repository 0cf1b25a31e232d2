/**
 * The REST client: same-origin fetches under `/api/v1/realms/{realm}`, authenticated by the
 * `vigil_session` cookie (or a bearer token for display keys and embedding apps).
 */

/** The error shape of every failed call (CONTRACT.md: `{statusCode, code, error, message}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const REALM_KEY = 'vigil.realm';

/** The realm the user picked last, or `default`. */
export function storedRealm(): string {
  try {
    return localStorage.getItem(REALM_KEY) || 'default';
  } catch {
    return 'default';
  }
}

export function storeRealm(realm: string): void {
  try {
    localStorage.setItem(REALM_KEY, realm);
  } catch {
    /* storage may be disabled: the realm then lasts for this page only */
  }
}

export interface ApiOptions {
  realm: string;
  /** A bearer credential; omitted for the cookie. */
  token?: string;
  /** Base URL; defaults to the page's origin. */
  base?: string;
}

export class VigilApi {
  readonly realm: string;
  readonly #token?: string;
  readonly #base: string;

  constructor(opts: ApiOptions) {
    this.realm = opts.realm;
    this.#token = opts.token;
    this.#base = opts.base ?? location.origin;
  }

  /** `path` is relative to the realm prefix, e.g. `/me`. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let res: Response;
    try {
      res = await fetch(`${this.#base}/api/v1/realms/${encodeURIComponent(this.realm)}${path}`, {
        method,
        headers,
        credentials: this.#token ? 'omit' : 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* a proxy's HTML error page: fall through with the status */
    }
    if (!res.ok) {
      const e = (json ?? {}) as { code?: string; message?: string };
      throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `The server answered ${res.status} ${res.statusText}.`);
    }
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = void>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** Lists come back either bare or wrapped (`{users: [...]}`); accept both. */
export function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object' && Array.isArray((body as Record<string, unknown>)[key])) {
    return (body as Record<string, T[]>)[key];
  }
  return [];
}

/** What to show for a failed call: the error's own message, else `fallback`. */
export function errorMessage(e: unknown, fallback: string): string {
  return e instanceof Error ? e.message : fallback;
}

/**
 * Runs a form's or dialog's call with `host._busy` true while it runs; a failure is told to
 * `fail` as `explain(error)` (by default the error's own message, else "Failed.").
 */
export async function busyCall(
  host: { _busy: boolean },
  call: () => Promise<void>,
  fail: (message: string) => void,
  explain: (e: unknown) => string = (e) => errorMessage(e, 'Failed.'),
): Promise<void> {
  host._busy = true;
  try {
    await call();
  } catch (e) {
    fail(explain(e));
  } finally {
    host._busy = false;
  }
}
