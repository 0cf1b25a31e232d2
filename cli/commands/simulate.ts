/**
 * `vigil simulate`: N synthetic users (sim-0001…) signing in at R sign-ins a second and
 * reporting activity, for demos and load. Bounded by --seconds; Ctrl-C stops early; either
 * way it prints a summary.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Client, type GlobalOptions } from '../client.js';
import { CliError } from '../errors.js';
import { duration } from '../output.js';
import { generatePassword } from './users.js';

interface SimulateOptions {
  users: number;
  rate: number;
  seconds: number;
  activityEvery: number;
  prefix: string;
  keep?: boolean;
}

const int = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`an integer ${min}…${max}`);
  return n;
};
const positive = (max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`a number above 0, at most ${max}`);
  return n;
};

/** At most this many sign-ins, activity calls or user creations in flight at once. */
const MAX_IN_FLIGHT = 64;

export interface Summary {
  users: number;
  created: number;
  existing: number;
  signInsOk: number;
  signInsFailed: number;
  activityCalls: number;
  activityFailed: number;
  loggedOut: number;
  errors: Map<string, number>;
  signInSeconds: number;
  elapsedSeconds: number;
  interrupted: boolean;
}

export function summaryText(s: Summary): string {
  // each sign-in holds a slot of 1/rate: N sign-ins at R/s that keep up take N/R seconds
  const rate = s.signInSeconds > 0 ? s.signInsOk / s.signInSeconds : 0;
  const lines = [
    `simulate ${s.interrupted ? 'stopped early' : 'done'} after ${duration(s.elapsedSeconds)}`,
    `  users:          ${s.users} (${s.created} created, ${s.existing} existing)`,
    `  sign-ins:       ${s.signInsOk} ok, ${s.signInsFailed} failed`,
    `  activity calls: ${s.activityCalls} (${s.activityFailed} failed)`,
    `  achieved rate:  ${rate.toFixed(1)} sign-ins/s`,
    `  signed out:     ${s.loggedOut}`,
    `  errors:         ${s.errors.size ? [...s.errors].map(([code, n]) => `${code} ×${n}`).join(', ') : 'none'}`,
  ];
  return lines.join('\n');
}

/** Runs fn over items with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function simulateCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('simulate')
    .description('synthetic users signing in and reporting activity (demos and load); needs an admin token')
    .requiredOption('--users <n>', 'how many synthetic users (sim-0001…)', int(1, 100_000))
    .requiredOption('--rate <r>', 'sign-ins per second', positive(10_000))
    .option('--seconds <s>', 'how long to run', int(1, 86_400), 30)
    .option('--activity-every <s>', 'seconds between activity reports of each session', positive(3600), 5)
    .option('--prefix <prefix>', 'username prefix of the synthetic users', 'sim')
    .option('--keep', 'leave the sessions signed in at the end (they then idle out)')
    .action((opts: SimulateOptions) => simulate(new Client(globals()), opts));
}

async function simulate(client: Client, opts: SimulateOptions): Promise<void> {
  client.resolveToken();
  const s: Summary = {
    users: opts.users, created: 0, existing: 0, signInsOk: 0, signInsFailed: 0, activityCalls: 0, activityFailed: 0,
    loggedOut: 0, errors: new Map(), signInSeconds: 0, elapsedSeconds: 0, interrupted: false,
  };
  const countError = (code: string) => s.errors.set(code, (s.errors.get(code) ?? 0) + 1);
  const codeOf = (r: { status: number; body: any }) => (r.body && typeof r.body === 'object' && r.body.code) || `HTTP ${r.status}`;
  /** A request that never throws: network failures count as UNREACHABLE. */
  const call = async (method: string, path: string, o: { body?: unknown; token?: string | null }) => {
    try {
      return await client.raw(method, path, o);
    } catch {
      return { status: 0, body: { code: 'UNREACHABLE' } };
    }
  };

  let stop = false;
  let wake: () => void = () => {};
  const onSignal = () => {
    s.interrupted = true;
    stop = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = Boolean(process.stderr.isTTY);
  const started = Date.now();

  try {
    // 1. the synthetic users, all with this run's password (an existing one gets it set)
    const password = generatePassword();
    const names = Array.from({ length: opts.users }, (_, i) => `${opts.prefix}-${String(i + 1).padStart(4, '0')}`);
    let fatal: CliError | undefined;
    const usable = new Set<string>();
    await pool(names, Math.min(8, MAX_IN_FLIGHT), async (username) => {
      if (stop || fatal) return;
      const r = await call('POST', '/users', { body: { username, password, roles: ['user'] } });
      if (r.status === 201) return void (s.created++, usable.add(username));
      if (r.status === 409) {
        const p = await call('PATCH', `/users/${encodeURIComponent(username)}`, { body: { password } });
        if (p.status === 200) return void (s.existing++, usable.add(username));
        countError(codeOf(p));
        return;
      }
      if (r.status === 0) fatal = new CliError(`cannot reach the Vigil server at ${client.url}`);
      else if (r.status === 401 || r.status === 403) fatal = new CliError(`cannot create the synthetic users: ${r.body?.message ?? r.status} (${codeOf(r)})`);
      countError(codeOf(r));
    });
    if (fatal) throw fatal;
    const ready = names.filter((n) => usable.has(n));

    // 2. sign-ins at the rate, activity for each live session, until the deadline
    const phaseStart = Date.now();
    const deadline = phaseStart + opts.seconds * 1000;
    const live: { token: string; next: number; busy: boolean }[] = [];
    let inFlight = 0;
    let lastSignInDone = phaseStart;
    const pending = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    const sleep = (ms: number) => new Promise<void>((r) => {
      const t = setTimeout(r, Math.max(0, ms));
      wake = () => (clearTimeout(t), r());
    });

    const signIn = async (username: string) => {
      inFlight++;
      const r = await call('POST', '/login', { body: { username, password }, token: null });
      inFlight--;
      lastSignInDone = Date.now();
      if (r.status === 201 && r.body?.token) {
        s.signInsOk++;
        live.push({ token: r.body.token, next: Date.now() + Math.random() * opts.activityEvery * 1000, busy: false });
      } else {
        s.signInsFailed++;
        countError(codeOf(r));
      }
    };
    const activity = async (sess: (typeof live)[number]) => {
      sess.busy = true;
      inFlight++;
      const r = await call('POST', '/sessions/current/activity', { token: sess.token });
      inFlight--;
      s.activityCalls++;
      sess.busy = false;
      sess.next = Date.now() + opts.activityEvery * 1000;
      if (r.status !== 204) {
        s.activityFailed++;
        countError(codeOf(r));
        if (r.status === 401) live.splice(live.indexOf(sess), 1); // the session ended: it reports no more
      }
    };

    let lastReport = 0;
    const progress = (final = false) => {
      const now = Date.now();
      const left = Math.max(0, (deadline - now) / 1000);
      const done = s.signInsOk + s.signInsFailed;
      const errs = [...s.errors.values()].reduce((a, b) => a + b, 0);
      if (tty) {
        const width = 24;
        const filled = Math.round((Math.min(1, (now - phaseStart) / (deadline - phaseStart))) * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${ready.length} signed in · ${live.length} live · ${s.activityCalls} activity · ${errs} errors · ${Math.ceil(left)}s left \x1b[K${final ? '\n' : ''}`);
      } else if (final || now - lastReport >= 5000) {
        lastReport = now;
        if (!final) process.stderr.write(`simulate: ${duration((now - phaseStart) / 1000)}: ${done}/${ready.length} signed in, ${live.length} live, ${s.activityCalls} activity calls, ${errs} errors\n`);
      }
    };
    lastReport = Date.now();

    let i = 0;
    const interval = 1000 / opts.rate;
    while (!stop && Date.now() < deadline) {
      const now = Date.now();
      // sign-ins due by now (catching up after a slow tick), within the in-flight bound
      while (i < ready.length && phaseStart + i * interval <= now && inFlight < MAX_IN_FLIGHT) track(signIn(ready[i++]!));
      for (const sess of live) {
        if (inFlight >= MAX_IN_FLIGHT) break;
        if (!sess.busy && sess.next <= now) track(activity(sess));
      }
      progress();
      const nextSignIn = i < ready.length ? phaseStart + i * interval : Infinity;
      await sleep(Math.min(100, nextSignIn - Date.now(), deadline - Date.now()));
    }
    s.signInSeconds = (lastSignInDone - phaseStart) / 1000 + interval / 1000;
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 10_000).unref())]);
    progress(true);

    // 3. sign the synthetic sessions out, unless asked to keep them
    if (!opts.keep) {
      await pool([...live], 16, async (sess) => {
        const r = await call('POST', '/logout', { token: sess.token });
        if (r.status === 204) s.loggedOut++;
        else countError(codeOf(r));
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    s.elapsedSeconds = (Date.now() - started) / 1000;
  }
  process.stdout.write(`${summaryText(s)}\n`);
  if (s.signInsOk === 0 && s.signInsFailed > 0) throw new CliError('no synthetic user could sign in');
}
