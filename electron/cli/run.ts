import { EngineError } from '../engine/api.js';
import { UsageError } from './args.js';
import { hintLine } from './error-hints.js';

/** Runs a CLI main: usage errors exit 2, engine errors exit 1, each with one clear line (and the CLI's hint for it, if any). */
export function runMain(name: string, main: () => Promise<number | undefined>): void {
  // A bug on one connection must not take a long-running tracker or peer down: log it loudly instead.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`${name}: internal error (please report): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  });
  main().then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${err.message}\n${hintLine(name, err)}Run "${name} -help" for the options.\n`);
        process.exitCode = 2;
      } else if (err instanceof EngineError) {
        process.stderr.write(`${name}: error: ${err.message}\n${hintLine(name, err)}`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`${name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const handler = (signal: NodeJS.Signals) => {
      if (seen) process.exit(130);
      seen = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
