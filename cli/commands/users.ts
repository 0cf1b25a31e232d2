/** `vigil users add NAME` and `vigil users ls`. */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ROLES, type Role, type UserRecord } from '../../shared/protocol.js';
import { Client, type GlobalOptions } from '../client.js';
import { usageError } from '../errors.js';
import { ask, interactive } from '../prompt.js';
import { duration, table } from '../output.js';

/** 24 characters of base64url: 144 bits from the system's CSPRNG. */
export const generatePassword = () => randomBytes(18).toString('base64url');

export function parseRoles(value: string): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (!roles.length || bad.length) throw usageError(`--role must be one or more of ${ROLES.join(', ')} (comma-separated); got ${JSON.stringify(value)}`);
  return roles as Role[];
}

export function usersCommand(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('manage the realm’s users (admin)');

  users
    .command('add')
    .description('create a user; without --password one is asked on a terminal, else generated and printed once')
    .argument('<name>', 'the username')
    .option('--role <role>', `${ROLES.join(', ')} (comma-separated for several)`, 'user')
    .option('--email <email>', 'the user’s e-mail address')
    .option('--password <password>', 'the initial password')
    .action(async (name: string, opts: { role: string; email?: string; password?: string }) => {
      const roles = parseRoles(opts.role);
      const client = new Client(globals());
      client.resolveToken();
      let password = opts.password;
      let generated = false;
      if (password === undefined) {
        if (interactive()) {
          password = await ask(`Password for ${name}: `, { secret: true });
          if ((await ask('Again: ', { secret: true })) !== password) throw usageError('the passwords do not match');
        } else {
          password = generatePassword();
          generated = true;
        }
      }
      const body: Record<string, unknown> = { username: name, password, roles };
      if (opts.email !== undefined) body.email = opts.email;
      const r = await client.request<{ user: UserRecord }>('POST', '/users', { body });
      process.stdout.write(`created user ${r.user.username} (${r.user.roles.join(', ')})\n`);
      if (generated) process.stdout.write(`password: ${password}\n`), process.stderr.write('the password is shown only this once\n');
    });

  users
    .command('ls')
    .alias('list')
    .description('list the realm’s users')
    .action(async () => {
      const client = new Client(globals());
      const r = await client.request<{ users: (UserRecord & { email?: string })[] }>('GET', '/users');
      const rows = [...r.users].sort((a, b) => a.username.localeCompare(b.username));
      process.stdout.write(
        `${table(rows, [
          { header: 'USERNAME', value: (u) => u.username },
          { header: 'ROLES', value: (u) => u.roles.join(',') },
          { header: 'ENABLED', value: (u) => (u.enabled === false ? 'no' : 'yes'), colour: (u) => (u.enabled === false ? 'red' : undefined) },
          { header: 'TOKEN LIFETIME', value: (u) => duration(u.tokenLifetime) },
          { header: 'EMAIL', value: (u) => u.email ?? '-' },
          { header: 'CREATED', value: (u) => u.createdAt ?? '-' },
        ])}\n`,
      );
    });
}
