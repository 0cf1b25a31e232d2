/** Errors the CLI reports as one line on stderr, with the exit code they stand for. */

/** 1: a refused request or an unreachable server. 2: bad usage. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, 2);
