/** `vigil keys create NAME`: a display key for a wall display, shown once. */
import type { Command } from 'commander';
import type { DisplayKey } from '../../shared/protocol.js';
import { Client, type GlobalOptions } from '../client.js';

export function keysCommand(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command('keys').description('display keys for wall displays (admin)');
  keys
    .command('create')
    .description('create a display key (a read-only viewer credential that never idles out); the key is printed once')
    .argument('<name>', 'what the key is for, e.g. the display’s place')
    .action(async (name: string) => {
      const client = new Client(globals());
      const r = await client.request<{ displayKey: DisplayKey }>('POST', '/display-keys', { body: { name } });
      process.stderr.write(`display key ${r.displayKey.name} (${r.displayKey.id}) created; the key is shown only this once:\n`);
      process.stdout.write(`${r.displayKey.key}\n`);
    });
}
