/**
 * The `vigil` command line: operate a running Vigil server through its public contract.
 * Exit codes: 0 ok; 1 a refused request or an unreachable server (one line); 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { GlobalOptions } from './client.js';
import { CliError } from './errors.js';
import { loginCommand } from './commands/login.js';
import { tailCommand } from './commands/tail.js';
import { sessionsCommand } from './commands/sessions.js';
import { usersCommand } from './commands/users.js';
import { keysCommand } from './commands/keys.js';
import { simulateCommand } from './commands/simulate.js';

const DEFAULT_URL = 'http://127.0.0.1:8080';

function version(): string {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command('vigil');
  // set before any .command(): subcommands copy these, so every usage error throws here (exit 2)
  program
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .description('Operate a Vigil server from a terminal: sign in, follow live events, list and end sessions, manage users and display keys, simulate load.')
    .version(version(), '-V, --version')
    .addOption(new Option('--url <url>', 'the server').env('VIGIL_URL').default(DEFAULT_URL))
    .addOption(new Option('--realm <realm>', 'the realm').env('VIGIL_REALM').default('default'))
    .addOption(new Option('--token <token>', 'a session token or display key (else the one `vigil login` saved)').env('VIGIL_TOKEN'))
    .showSuggestionAfterError(true);

  const globals = (): GlobalOptions => {
    const o = program.opts() as GlobalOptions;
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new CliError(`--url must be an http:// or https:// URL; got ${JSON.stringify(o.url)}`, 2);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url must be an http:// or https:// URL; got ${JSON.stringify(o.url)}`, 2);
    return { url: url.origin + url.pathname.replace(/\/+$/, ''), realm: o.realm, ...(o.token ? { token: o.token } : {}) };
  };

  loginCommand(program, globals);
  tailCommand(program, globals);
  sessionsCommand(program, globals);
  usersCommand(program, globals);
  keysCommand(program, globals);
  simulateCommand(program, globals);
  return program;
}

/** Waits until what was written to stdout and stderr has left the process. */
function flushed(): Promise<void> {
  const drain = (s: NodeJS.WriteStream) => new Promise<void>((r) => (s.writableLength ? s.once('drain', () => r()) : r()));
  return Promise.all([drain(process.stdout), drain(process.stderr)]).then(() => undefined);
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander printed its own one line
    if (err instanceof CliError) {
      process.stderr.write(`vigil: ${err.message}\n`);
      return err.exitCode;
    }
    if ((err as { interrupted?: boolean })?.interrupted) return 130;
    process.stderr.write(`vigil: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(`vigil: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
// EPIPE when the reader goes away (`vigil tail | head`): stop quietly
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

const code = await main(process.argv);
await flushed();
process.exit(code);
