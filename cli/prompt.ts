/** Questions on a terminal; the answer to a secret one is not echoed. */
import { createInterface } from 'node:readline';

export const interactive = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

export function ask(question: string, opts: { secret?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (opts.secret) {
      // readline echoes through _writeToOutput: after the question, write nothing back
      let asked = false;
      const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
      out._writeToOutput = (s: string) => {
        if (!asked || s.includes('\n') || s.includes('\r')) out.output.write(asked ? '\n' : s);
      };
      rl.question(question, (answer) => (rl.close(), resolve(answer)));
      asked = true;
    } else {
      rl.question(question, (answer) => (rl.close(), resolve(answer.trim())));
    }
    rl.on('SIGINT', () => (rl.close(), process.stderr.write('\n'), reject(Object.assign(new Error('interrupted'), { interrupted: true }))));
  });
}
