/** `vigil login`: POST /login, then keep the token for this URL and realm. */
import type { Command } from 'commander';
import type { Session } from '../../shared/protocol.js';
import { Client, type GlobalOptions } from '../client.js';
import { saveCredential } from '../credentials.js';
import { usageError } from '../errors.js';
import { ask, interactive } from '../prompt.js';

export function loginCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('login')
    .description('sign in and keep the token in the config directory (mode 0600)')
    .option('-u, --username <username>', 'who signs in (asked on a terminal when missing)')
    .option('-p, --password <password>', 'the password (asked on a terminal when missing)')
    .action(async (opts: { username?: string; password?: string }) => {
      const g = globals();
      let { username, password } = opts;
      if (!username) {
        if (!interactive()) throw usageError('vigil login needs --username (and --password) when not on a terminal');
        username = await ask('Username: ');
      }
      if (password === undefined) {
        if (!interactive()) throw usageError('vigil login needs --password when not on a terminal');
        password = await ask(`Password for ${username}: `, { secret: true });
      }
      const client = new Client(g);
      const r = await client.request<{ token: string; session: Session }>('POST', '/login', { body: { username, password }, token: null });
      const file = saveCredential(client.url, client.realm, { token: r.token, username: r.session.user.username, sessionId: r.session.id, savedAt: new Date().toISOString() });
      process.stdout.write(`Signed in to ${client.url} (realm ${client.realm}) as ${r.session.user.username}, session ${r.session.id}; idle timeout ${r.session.idleTimeout}s\n`);
      process.stderr.write(`token saved in ${file}\n`);
    });
}
