/**
 * REST calls to a Vigil server through the public contract. Every failure becomes a CliError
 * with one line: the server's `message` and `code` for a refused request, or "cannot reach"
 * and the URL when nothing answers.
 */
import { CliError } from './errors.js';
import { loadCredential } from './credentials.js';

/** What the server records as the session's client (`origin.userAgent`). */
export const USER_AGENT = `vigil-cli (node ${process.version})`;

export interface GlobalOptions {
  url: string;
  realm: string;
  token?: string;
}

export interface ApiError {
  statusCode?: number;
  code?: string;
  error?: string;
  message?: string;
}

/** A refused request's one line: `Invalid username or password (VIGIL_ERR_INVALID_CREDENTIALS)`. */
export function describeError(status: number, body: unknown): string {
  const e = (body && typeof body === 'object' ? body : {}) as ApiError;
  const message = e.message || e.error || (typeof body === 'string' && body.trim() ? body.trim().split('\n')[0] : `HTTP ${status}`);
  return e.code ? `${message} (${e.code})` : message;
}

/** An answer's body: its JSON, else its text (null when empty). */
export function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function unreachable(url: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new CliError(`cannot reach the Vigil server at ${url} (${why})`);
}

export class Client {
  readonly url: string;
  readonly realm: string;
  private token: string | undefined;

  constructor(opts: GlobalOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.realm = opts.realm;
    this.token = opts.token;
  }

  /** The token from --token / VIGIL_TOKEN, else the one `vigil login` saved for this URL and realm. */
  resolveToken(): string {
    if (!this.token) this.token = loadCredential(this.url, this.realm)?.token;
    if (!this.token) throw new CliError(`not signed in to ${this.url} (realm ${this.realm}): run \`vigil login\`, or pass --token / VIGIL_TOKEN`);
    return this.token;
  }

  realmPath(path: string): string {
    return `/api/v1/realms/${encodeURIComponent(this.realm)}${path}`;
  }

  /**
   * One request under the realm. `token: null` sends none; otherwise the resolved token.
   * Resolves with the parsed body of a 2xx answer; throws a CliError otherwise.
   */
  async request<T = any>(method: string, path: string, opts: { body?: unknown; token?: string | null; query?: Record<string, string | number | undefined> } = {}): Promise<T> {
    const r = await this.raw(method, path, opts);
    if (r.status >= 200 && r.status < 300) return r.body as T;
    throw new CliError(describeError(r.status, r.body));
  }

  /** As request, but answers every status (for callers that handle some refusals themselves). */
  async raw(method: string, path: string, opts: { body?: unknown; token?: string | null; query?: Record<string, string | number | undefined> } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
    const token = opts.token === null ? undefined : (opts.token ?? this.resolveToken());
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const target = `${this.url}${this.realmPath(path)}${qs.size ? `?${qs}` : ''}`;
    let res: Response;
    try {
      res = await fetch(target, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw unreachable(this.url, err);
    }
    return { status: res.status, body: parseBody(await res.text().catch(() => '')) };
  }
}
