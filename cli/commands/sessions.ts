/** `vigil sessions` (a table of live sessions, every page) and `vigil sessions kill ID|--others`. */
import { Option, type Command } from 'commander';
import { SESSION_KINDS, type Session } from '../../shared/protocol.js';
import { Client, type GlobalOptions } from '../client.js';
import { usageError } from '../errors.js';
import { relative, table, truncate } from '../output.js';

export function sessionTable(sessions: readonly Session[], now = Date.now()): string {
  return table(sessions, [
    { header: 'ID', value: (s) => (s.current ? `${s.id} *` : s.id) },
    { header: 'USER', value: (s) => s.user.username },
    { header: 'KIND', value: (s) => s.kind },
    { header: 'STATE', value: (s) => s.state, colour: (s) => (s.state === 'warning' ? 'yellow' : 'green') },
    { header: 'LAST ACTIVITY', value: (s) => relative(s.lastActivityAt, now) },
    { header: 'EXPIRES', value: (s) => relative(s.expiresAt, now), colour: (s) => (s.state === 'warning' ? 'yellow' : undefined) },
    { header: 'IP', value: (s) => s.origin?.ip ?? '-' },
    { header: 'CLIENT', value: (s) => truncate(s.clientId ?? s.origin?.userAgent ?? '-', 48) },
  ]);
}

export function sessionsCommand(program: Command, globals: () => GlobalOptions): void {
  const sessions = program
    .command('sessions')
    .description('list the live sessions of the realm (`*` marks your own)')
    .option('--user <username>', 'only this user’s sessions')
    .option('--kind <kind>', `only sessions of this kind (${SESSION_KINDS.join(', ')})`)
    .option('--state <state>', 'only active or warning sessions')
    .addOption(new Option('--page-size <n>', 'sessions per request').default(500).argParser(Number).hideHelp())
    .action(async (opts: { user?: string; kind?: string; state?: string; pageSize: number }) => {
      const client = new Client(globals());
      const all: Session[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.request<{ sessions: Session[]; nextCursor: string | null }>('GET', '/sessions', {
          query: { user: opts.user, kind: opts.kind, state: opts.state, limit: opts.pageSize, cursor },
        });
        all.push(...page.sessions);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      process.stdout.write(`${sessionTable(all)}\n`);
      process.stderr.write(`${all.length} session${all.length === 1 ? '' : 's'}\n`);
    });

  sessions
    .command('kill')
    .description('end a session by id, or every other session with --others')
    .argument('[id]', 'the session to end')
    .option('--others', 'end every session but this one (admin: the whole realm; user: your own)')
    .action(async (id: string | undefined, opts: { others?: boolean }) => {
      if (Boolean(id) === Boolean(opts.others)) throw usageError(`sessions kill needs a session ID or --others (one of them)`);
      const client = new Client(globals());
      if (opts.others) {
        const r = await client.request<{ terminated: number }>('POST', '/sessions/terminate-others');
        process.stdout.write(`terminated ${r.terminated} other session${r.terminated === 1 ? '' : 's'}\n`);
      } else {
        await client.request('DELETE', `/sessions/${encodeURIComponent(id!)}`);
        process.stdout.write(`terminated ${id}\n`);
      }
    });
}
