/**
 * `vigil tail`: the realm's live events over the raw WebSocket, one line each (or NDJSON),
 * resuming from the last cursor after a dropped connection so that no event is lost or
 * printed twice. 4401 / 4403 are final (exit 1); Ctrl-C exits 0.
 */
import WebSocket from 'ws';
import { Option, type Command } from 'commander';
import { CLOSE, type Session, type Stats, type VigilEvent } from '../../shared/protocol.js';
import { Client, USER_AGENT, describeError, parseBody, unreachable, type GlobalOptions } from '../client.js';
import { CliError } from '../errors.js';
import { paint, useColour, wildcard, type Colour } from '../output.js';

const TOPICS = ['sessions', 'self', 'stats'] as const;
type TailTopic = (typeof TOPICS)[number];

interface TailOptions {
  topic: TailTopic;
  name?: string;
  json?: boolean;
}

/** Stream ids are `<ms>-<seq>`; compares two of them (negative when a is older). */
export function compareCursors(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function nameColour(name: string): Colour | undefined {
  if (name === 'session.started' || name === 'session.extended' || name === 'login.succeeded') return 'green';
  if (name === 'session.activity') return 'grey';
  if (name === 'session.warning') return 'yellow';
  if (name === 'session.expired' || name === 'session.terminated' || name === 'session.ended' || name.endsWith('.failed') || name.endsWith('reuse_detected')) return 'red';
  if (name.startsWith('policy.') || name.startsWith('user.') || name.startsWith('display_key.')) return 'magenta';
  return 'cyan';
}

function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.username === 'string' && Object.keys(o).length === 1) return o.username;
    return JSON.stringify(v);
  }
  return String(v);
}

/** One aligned line: time (UTC), event name, user, session id, details. */
export function eventLine(e: VigilEvent, colour = false): string {
  const time = typeof e.at === 'string' ? e.at.slice(11, 23) : '-';
  const data = (e.data ?? {}) as Record<string, unknown>;
  const s = e.session as Partial<Session> | null;
  const user = s?.user?.username ?? (typeof data.username === 'string' ? data.username : '-');
  const details: string[] = [];
  if (e.name === 'session.started' && s) {
    if (s.kind) details.push(`kind=${s.kind}`);
    if (s.origin?.ip) details.push(`ip=${s.origin.ip}`);
    if (s.clientId) details.push(`client=${s.clientId}`);
  }
  for (const [k, v] of Object.entries(data)) if (!(k === 'username' && user === v)) details.push(`${k}=${fmtValue(v)}`);
  if ((e.name === 'session.activity' || e.name === 'session.extended') && s?.expiresAt) details.push(`expiresAt=${s.expiresAt}`);
  return [
    paint(time, 'grey', colour),
    paint(e.name.padEnd(22), nameColour(e.name), colour),
    paint(user.padEnd(16), 'bold', colour),
    (e.sessionId ?? '-').padEnd(26),
    details.join(' '),
  ].join(' ').trimEnd();
}

export function statsLine(stats: Stats, colour = false): string {
  const time = (stats.serverTime ?? new Date().toISOString()).slice(11, 23);
  const h = stats.lastHour ?? ({} as Stats['lastHour']);
  const kinds = stats.byKind ? Object.entries(stats.byKind).map(([k, n]) => `${k}=${n}`).join(' ') : '';
  return [paint(time, 'grey', colour), paint('stats'.padEnd(22), 'cyan', colour),
    `active=${stats.active} warning=${stats.warning} ${kinds} connected=${stats.connectedClients}`,
    `lastHour: started=${h.started} logins=${h.logins} expired=${h.expired} terminated=${h.terminated} ended=${h.ended}`].join(' ');
}

export function tailCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('tail')
    .description('follow the live events, one line each (NDJSON with --json); resumes after a dropped connection')
    .addOption(new Option('--topic <topic>', 'what to follow').choices(TOPICS).default('sessions'))
    .option('--name <pattern>', "only events whose name matches, `*` a wildcard (e.g. 'session.*')")
    .option('--json', 'one event envelope per line (NDJSON)')
    .action((opts: TailOptions) => tail(new Client(globals()), opts));
}

function tail(client: Client, opts: TailOptions): Promise<void> {
  const token = client.resolveToken();
  const wsUrl = `${client.url.replace(/^http/, 'ws')}/ws?realm=${encodeURIComponent(client.realm)}`;
  const filter = opts.name ? wildcard(opts.name) : null;
  const colour = !opts.json && useColour(process.stdout);
  const note = (line: string) => process.stderr.write(`vigil: ${line}\n`);

  return new Promise<void>((resolve, reject) => {
    let cursor: string | undefined;
    let everConnected = false;
    let attempt = 0;
    let ref = 0;
    let subscribeRef = 0;
    let ws: WebSocket | undefined;
    let done = false;
    let retryTimer: NodeJS.Timeout | undefined;

    const finish = (err?: CliError) => {
      if (done) return;
      done = true;
      clearTimeout(retryTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        ws?.close(1000);
      } catch {
        /* already gone */
      }
      ws?.removeAllListeners();
      ws?.on('error', () => {});
      if (err) reject(err);
      else resolve();
    };
    const onSignal = () => finish();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const reconnect = (why: string, immediately = false) => {
      if (done) return;
      const base = immediately ? 0 : Math.min(10_000, 250 * 2 ** attempt);
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      attempt++;
      note(`${why}; reconnecting in ${(delay / 1000).toFixed(1)}s${cursor ? ` (resuming after ${cursor})` : ''}`);
      retryTimer = setTimeout(connect, delay);
    };

    const print = (e: VigilEvent) => {
      if (filter && !filter.test(e.name)) return;
      process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${eventLine(e, colour)}\n`);
    };

    const onMessage = (m: Record<string, any>) => {
      switch (m.type) {
        case 'hello':
          attempt = 0;
          subscribeRef = ++ref;
          ws!.send(JSON.stringify({ type: 'subscribe', topic: opts.topic, ...(cursor && opts.topic !== 'stats' ? { since: cursor } : {}), ref: subscribeRef }));
          return;
        case 'snapshot': {
          if (m.resync) note(`the connection was away too long to replay what happened meanwhile: events may be missing; now ${m.sessions?.length ?? 0} live session(s)`);
          else if (!cursor) note(`${m.sessions?.length ?? 0} live session(s); following ${opts.topic}`);
          cursor = m.cursor;
          return;
        }
        case 'synced':
          if (m.cursor && (!cursor || compareCursors(m.cursor, cursor) > 0)) cursor = m.cursor;
          return;
        case 'events':
          for (const e of (m.events ?? []) as VigilEvent[]) {
            if (cursor && compareCursors(e.id, cursor) <= 0) continue; // already printed before the reconnect
            cursor = e.id;
            print(e);
          }
          return;
        case 'stats':
          if (filter && !filter.test('stats')) return;
          process.stdout.write(opts.json ? `${JSON.stringify(m)}\n` : `${statsLine(m.stats as Stats, colour)}\n`);
          return;
        case 'error': {
          const line = m.code ? `${m.message} (${m.code})` : String(m.message);
          if (m.ref === subscribeRef) return finish(new CliError(`cannot follow ${opts.topic}: ${line}`));
          note(line);
          return;
        }
      }
    };

    function connect() {
      if (done) return;
      let failed = false;
      let lastError: (Error & { code?: string }) | undefined;
      const sock = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}`, 'user-agent': USER_AGENT }, handshakeTimeout: 10_000 });
      ws = sock;
      sock.on('unexpected-response', (_req, res) => {
        failed = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const body = parseBody(text);
          const status = res.statusCode ?? 0;
          if (status === 401 || status === 403 || status === 404 || status === 400) finish(new CliError(describeError(status, body)));
          else reconnect(`the server refused the connection: ${describeError(status, body)}`);
          sock.terminate(); // only once the body is read: terminating aborts the response
        });
      });
      sock.on('open', () => {
        if (everConnected) note('reconnected');
        everConnected = true;
      });
      sock.on('message', (data) => {
        let m: Record<string, any>;
        try {
          m = JSON.parse(data.toString());
        } catch {
          return note('the server sent a frame that is not JSON');
        }
        onMessage(m);
      });
      sock.on('error', (err) => {
        lastError = err;
        if (failed || done) return;
        if (!everConnected) {
          failed = true;
          finish(unreachable(client.url, err));
        }
      });
      sock.on('close', (code, reasonBuf) => {
        if (done || (failed && !everConnected)) return;
        if (failed) return; // unexpected-response decides
        const reason = reasonBuf.toString();
        if (code === CLOSE.UNAUTHENTICATED) return finish(new CliError(`the credential ended (${code}${reason ? ` ${reason}` : ''}); run \`vigil login\` again`));
        if (code === CLOSE.FORBIDDEN) return finish(new CliError(`forbidden (${code}${reason ? ` ${reason}` : ''})`));
        if (lastError && code === 1006) return reconnect(`cannot reach the server (${lastError.code ?? lastError.message})`);
        const what = code === CLOSE.GOING_AWAY ? 'the server is going away' : code === CLOSE.RECONNECT ? 'the user’s roles changed' : 'the connection closed';
        reconnect(`${what} (${code}${reason ? ` ${reason}` : ''})`, code === CLOSE.RECONNECT);
      });
    }

    connect();
  });
}
