/**
 * One outbound POST (a webhook delivery, a back-channel logout token), over node:http(s) with
 * keep-alive agents, a timeout, and the destination's address resolved, checked and pinned
 * (ssrf.ts). Never throws: the outcome is what the delivery log records.
 */
import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, RefusedDestination } from './ssrf.js';

export interface PostOutcome {
  /** The receiver's status, or null when none came (refused, unreachable, timed out). */
  statusCode: number | null;
  durationMs: number;
  /** Null on a 2xx; else what went wrong, in a sentence. */
  error: string | null;
}

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
/** At most this much of a receiver's answer is read (and thrown away). */
const MAX_ANSWER_BYTES = 64 * 1024;

export async function post(target: string, headers: Record<string, string>, body: string, opts: { allowPrivate: boolean; timeoutMs: number }): Promise<PostOutcome> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): PostOutcome => ({ statusCode, durationMs: Math.round(performance.now() - started), error });
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return done(null, 'the URL does not parse');
  }
  let lookup;
  try {
    lookup = await pinnedLookup(url.hostname, opts.allowPrivate);
  } catch (err) {
    return done(null, err instanceof RefusedDestination ? err.message : `cannot resolve ${url.hostname}: ${(err as Error).message}`);
  }
  const secure = url.protocol === 'https:';
  return new Promise<PostOutcome>((resolve) => {
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      lookup,
      headers: { 'user-agent': 'Vigil-Webhooks/1', ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: opts.timeoutMs,
    }, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      const status = res.statusCode ?? 0;
      const finish = () => resolve(done(status, status >= 200 && status < 300 ? null : `the receiver answered ${status}`));
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => resolve(done(null, err.message || String(err))));
    req.end(body);
  });
}
